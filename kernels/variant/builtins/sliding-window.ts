// Sliding window (Mistral, Gemma local layers): causal, and only the last `window` keys.
export const vars = { window: 64 as i32 };

export function logitsMask(idx: Idx): boolean {
  const pos = idx.qo + idx.kvLen - idx.qoLen;
  return idx.kv <= pos && pos - idx.kv < vars.window;
}
