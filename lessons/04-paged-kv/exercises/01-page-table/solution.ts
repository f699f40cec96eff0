// The page table of requests of 5, 12 and 1 tokens in pages of 4 (see the pool above).
export const kvIndptr = [0, 2, 5, 6];
export const kvIndices = [6, 1, 3, 0, 7, 4];
export const kvLastPageLen = [1, 4, 1];
