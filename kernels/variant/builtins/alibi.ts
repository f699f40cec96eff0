// ALiBi: no position embeddings; each head penalizes distance with its own slope.
// slopes[h] is usually 2^(-8 (h+1) / numQoHeads).
export const tensors = { slopes: 'f32' };

export function logitsTransform(logit: number, idx: Idx): number {
  const distance = idx.qo + idx.kvLen - idx.qoLen - idx.kv;
  return logit - tensors.slopes[idx.qoHead] * distance;
}

export function logitsMask(idx: Idx): boolean {
  return idx.kv <= idx.qo + idx.kvLen - idx.qoLen;
}
