// The page table of requests of 5, 12 and 1 tokens in pages of 4 (see the pool above).
// As written, every request is one page long and reads page 0.
export const kvIndptr = [0, 1, 2, 3];
export const kvIndices = [0, 0, 0];
export const kvLastPageLen = [4, 4, 4];
