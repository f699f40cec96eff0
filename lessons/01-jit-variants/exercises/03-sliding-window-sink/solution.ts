// Sliding window + attention sinks (Mistral, StreamingLLM): the first `sink` keys and the last
// `window` keys up to the query's position stay visible.
export const vars = { window: 8 as i32, sink: 2 as i32 };

export function logitsMask(idx: Idx): boolean {
  const pos = idx.qo + idx.kvLen - idx.qoLen;
  return idx.kv <= pos && (idx.kv < vars.sink || pos - idx.kv < vars.window);
}
