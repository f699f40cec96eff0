// One key tile: 64 keys × head size 128, fp32.
// 64 × 128 × 4 bytes.
export const tileBytes = 32768;
// Keys and values read from global memory by a prefill of 1024 queries over 1024 keys (one head),
// with 64 and with 128 query rows per workgroup.
// 16 workgroups each read all 1024 keys and values: 16 × 1024 × 2 × 128 × 4 bytes.
export const bytes64 = 16777216;
// 8 workgroups: half as much.
export const bytes128 = 8388608;
// FLOPs per byte of K and V at 128 rows per tile.
// Per key: 4 · 128 · 128 FLOPs for 2 · 128 · 4 bytes.
export const intensity128 = 64;
