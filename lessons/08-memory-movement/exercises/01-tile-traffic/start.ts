// One key tile: 64 keys × head size 128, fp32.
export const tileBytes = 0;
// Keys and values read from global memory by a prefill of 1024 queries over 1024 keys (one head),
// with 64 and with 128 query rows per workgroup.
export const bytes64 = 0;
export const bytes128 = 0;
// FLOPs per byte of K and V at 128 rows per tile.
export const intensity128 = 0;
