// FlashSigmoid: sigmoid attention, weight = sigmoid(scale * logit + bias), with no softmax.
export const vars = { scale: 1.0, bias: 0.0 };

export function logitsTransform(logit: number, idx: Idx): number {
  // Return the key's weight. The softmax is still on, too.
  return logit;
}
