// The Sparse Transformer's "fixed" pattern (Child et al., 2019), causal.
export const vars = { stride: 16 as i32 };

export function logitsMask(idx: Idx): boolean {
  // As written, this is plain causal attention: every earlier key is kept.
  return idx.kv <= idx.qo + idx.kvLen - idx.qoLen;
}

// Your prediction for a 64-token prompt, stride 16, in blocks of 8 × 8 (an 8 × 8 grid of blocks):
export const nonEmptyBlocks = 0;
export const fullBlocks = 0;
