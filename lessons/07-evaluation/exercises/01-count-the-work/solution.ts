// Bytes of keys and values the decode batch reads (fp32).
// 6000 keys × 8 KV heads × 128 dims × 2 (K and V) × 4 bytes.
export const kvBytes = 49152000;
// FLOPs of the two causal prompts' attention (a multiply-add counts as 2).
// (512·513/2 + 1024·1025/2) pairs × 32 query heads × 4 · 128.
export const prefillFlops = 10750001152;
// The traced request, in whole milliseconds.
// First token at 1450 ms, arrival at 1200 ms.
export const ttftMs = 250;
// (1570 − 1450) ms over the 4 gaps after the first token.
export const tpotMs = 30;
