// GQA and MQA: grouped-query and multi-query attention need no hook. Run with fewer KV heads
// than query heads, and query head h reads KV head h / (numQoHeads / numKvHeads).
// This variant is causal attention, to run with numKvHeads = 1 (MQA) or a divisor (GQA).
export function logitsMask(idx: Idx): boolean {
  return idx.kv <= idx.qo + idx.kvLen - idx.qoLen;
}
