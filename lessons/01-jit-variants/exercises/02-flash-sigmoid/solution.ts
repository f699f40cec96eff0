// FlashSigmoid: sigmoid attention, weight = sigmoid(scale * logit + bias), with no softmax.
export const useSoftmax = false;
export const vars = { scale: 1.0, bias: 0.0 };

export function logitsTransform(logit: number, idx: Idx): number {
  return 1 / (1 + Math.exp(-(logit * vars.scale + vars.bias)));
}
