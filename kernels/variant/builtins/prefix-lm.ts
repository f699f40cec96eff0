// Prefix-LM (T5, PaliGemma): the prefix is bidirectional, the rest is causal.
export const vars = { prefixLen: 16 as i32 };

export function logitsMask(idx: Idx): boolean {
  return idx.kv < vars.prefixLen || idx.kv <= idx.qo + idx.kvLen - idx.qoLen;
}
