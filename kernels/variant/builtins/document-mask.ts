// Document masking: several documents packed into one request attend only within themselves
// (causally). docIds holds a document id per key position; docStart[b] is where request b's
// ids begin in docIds.
export const tensors = { docIds: 'i32', docStart: 'i32' };

export function logitsMask(idx: Idx): boolean {
  const start = tensors.docStart[idx.batch];
  const pos = idx.qo + idx.kvLen - idx.qoLen;
  return idx.kv <= pos && tensors.docIds[start + idx.kv] === tensors.docIds[start + pos];
}
