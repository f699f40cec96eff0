// The BSR layout of the mask above, 16 × 16 scores in blocks of 4 × 4.
export const indptr = [0, 1, 3, 5, 5];
export const indices = [0, 0, 1, 0, 1];
