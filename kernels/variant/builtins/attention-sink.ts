// Attention sink + window (StreamingLLM): the first `sink` tokens stay visible forever,
// beside a causal window of the last `window` keys.
export const vars = { sink: 4 as i32, window: 64 as i32 };

export function logitsMask(idx: Idx): boolean {
  const pos = idx.qo + idx.kvLen - idx.qoLen;
  const inWindow = pos - idx.kv < vars.window;
  return idx.kv <= pos && (idx.kv < vars.sink || inWindow);
}
