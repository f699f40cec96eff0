/**
 * Token trees for speculative decoding. A tree of drafted tokens is given by parent pointers:
 * `parents[i]` is the draft token that token i continues, or -1 when it continues the last
 * verified token. Parents come before their children (a topological order, as drafters emit).
 * Each draft token may attend to the whole verified prefix and to its ancestors and itself.
 */

/** Checks parent pointers and returns each node's depth (1 for children of the verified prefix). */
export function treeDepths(parents: readonly number[]): number[] {
  const depths: number[] = [];
  parents.forEach((parent, i) => {
    if (!Number.isInteger(parent) || parent < -1 || parent >= i) {
      throw new RangeError(`parents[${i}] is ${parent}; it must be -1 or the index of an earlier draft token`);
    }
    depths.push(parent === -1 ? 1 : depths[parent] + 1);
  });
  return depths;
}

/**
 * The tree attention mask `[n, prefixLen + n]` (1 = visible): every draft token sees the verified
 * prefix, its ancestors and itself.
 */
export function treeMask(parents: readonly number[], prefixLen: number): Uint8Array {
  if (!Number.isInteger(prefixLen) || prefixLen < 0) throw new RangeError(`prefixLen must be a whole number ≥ 0, got ${prefixLen}`);
  treeDepths(parents);
  const n = parents.length;
  const width = prefixLen + n;
  const mask = new Uint8Array(n * width);
  for (let i = 0; i < n; i++) {
    mask.fill(1, i * width, i * width + prefixLen);
    for (let node = i; node !== -1; node = parents[node]) mask[i * width + prefixLen + node] = 1;
  }
  return mask;
}

/**
 * Packs per-request masks into FlashInfer's custom-mask layout: per request, row-major, bit
 * `qo·kvLen + kv`, little bit order, requests back to back. The offsets are in bits.
 */
export function packMaskBits(masks: readonly Uint8Array[]): { maskBits: Uint32Array; maskBitOffset: Int32Array } {
  const maskBitOffset = new Int32Array(masks.length);
  let bits = 0;
  masks.forEach((mask, b) => {
    maskBitOffset[b] = bits;
    bits += mask.length;
  });
  const maskBits = new Uint32Array(Math.max(1, Math.ceil(bits / 32)));
  masks.forEach((mask, b) => {
    mask.forEach((visible, i) => {
      if (!visible) return;
      const bit = maskBitOffset[b] + i;
      maskBits[bit >>> 5] |= 1 << (bit & 31);
    });
  });
  return { maskBits, maskBitOffset };
}
