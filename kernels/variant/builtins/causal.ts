// Causal: each query sees the keys at or before its own position (bottom-right aligned,
// so appended queries also see the whole cache before them).
export function logitsMask(idx: Idx): boolean {
  return idx.kv <= idx.qo + idx.kvLen - idx.qoLen;
}
