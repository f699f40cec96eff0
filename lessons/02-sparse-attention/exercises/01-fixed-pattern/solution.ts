// The Sparse Transformer's "fixed" pattern (Child et al., 2019), causal.
export const vars = { stride: 16 as i32 };

export function logitsMask(idx: Idx): boolean {
  // The query's position in the sequence (bottom-right aligned, as causal masks are here).
  const pos = idx.qo + idx.kvLen - idx.qoLen;
  const causal = idx.kv <= pos;
  const local = pos - idx.kv < vars.stride;
  const summary = idx.kv % vars.stride == vars.stride - 1;
  return causal && (local || summary);
}

// A 64-token prompt, stride 16, in blocks of 8 × 8 (an 8 × 8 grid of blocks):
export const nonEmptyBlocks = 27;
export const fullBlocks = 7;
