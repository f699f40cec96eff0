// FlashSigmoid: sigmoid attention. No softmax: each key's weight is its own sigmoid, so
// there is no running max and no normalization (useSoftmax = false).
export const useSoftmax = false;
export const vars = { scale: 1.0, bias: 0.0 };

export function logitsTransform(logit: number, idx: Idx): number {
  return 1 / (1 + Math.exp(-(logit * vars.scale + vars.bias)));
}
