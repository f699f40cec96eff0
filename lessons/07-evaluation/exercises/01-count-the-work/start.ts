// Bytes of keys and values the decode batch reads (fp32).
export const kvBytes = 0;
// FLOPs of the two causal prompts' attention (a multiply-add counts as 2).
export const prefillFlops = 0;
// The traced request, in whole milliseconds.
export const ttftMs = 0;
export const tpotMs = 0;
