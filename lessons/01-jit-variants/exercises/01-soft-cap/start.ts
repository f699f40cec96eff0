// Soft-capping (Gemma 2, Grok-1): squash every score smoothly into (-cap, cap).
export const vars = { cap: 30.0 };

export function logitsTransform(logit: number, idx: Idx): number {
  // Return the capped score. As written, the cap changes nothing.
  return logit;
}

export function logitsMask(idx: Idx): boolean {
  return idx.kv <= idx.qo + idx.kvLen - idx.qoLen;
}
