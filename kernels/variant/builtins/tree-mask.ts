// Tree mask for speculative decoding: which drafted tokens each draft token may see, as
// packed bits (FlashInfer's layout: per request, row-major, bit qo·kvLen + kv, little bit
// order). maskBitOffset[b] is the bit where request b's mask starts.
export const tensors = { maskBits: 'u32', maskBitOffset: 'i32' };

export function logitsMask(idx: Idx): boolean {
  const bit = tensors.maskBitOffset[idx.batch] + idx.qo * idx.kvLen + idx.kv;
  return ((tensors.maskBits[bit >> 5] >> (bit & 31)) & 1) === 1;
}
