import type { BatchShape } from '../formats/batch.ts';
import { seededRandom } from '../formats/random.ts';
import type { TensorData } from '../types.ts';
import type { CompiledVariant } from './compile.ts';
import { packMaskBits, treeMask } from '../serving/token-tree.ts';

/**
 * Plausible data for the tensors of the built-in variants, derived from the batch: ALiBi slopes,
 * document ids with random boundaries, a random token tree's packed ancestor mask. Any other
 * tensor gets uniform random values of its type, so a learner's new tensor runs at once.
 */
export function exampleTensors(variant: CompiledVariant, shape: BatchShape, seed = 1): Record<string, TensorData> {
  const random = seededRandom(seed);
  const tensors: Record<string, TensorData> = {};
  const names = new Set(variant.ir.tensors.map((t) => t.name));
  const kvLens = Array.from(shape.kvLens);
  const kvOffsets = kvLens.map((_, b) => kvLens.slice(0, b).reduce((sum, n) => sum + n, 0));
  const qoLens = Array.from({ length: shape.batchSize }, (_, b) => shape.qoIndptr[b + 1] - shape.qoIndptr[b]);
  if (names.has('slopes')) {
    // The ALiBi paper's geometric slopes: 2^(-8 (h+1) / H).
    tensors.slopes = Float32Array.from({ length: shape.numQoHeads }, (_, h) => 2 ** ((-8 * (h + 1)) / shape.numQoHeads));
  }
  if (names.has('docIds') && names.has('docStart')) {
    tensors.docStart = Int32Array.from(kvOffsets);
    const ids = new Int32Array(Math.max(1, shape.totalKv));
    kvLens.forEach((kvLen, b) => {
      let doc = 0;
      for (let j = 0; j < kvLen; j++) {
        if (j > 0 && random() < 4 / Math.max(8, kvLen)) doc++;
        ids[kvOffsets[b] + j] = doc;
      }
    });
    tensors.docIds = ids;
  }
  if (names.has('maskBits') && names.has('maskBitOffset')) {
    // Each request's queries are a random token tree drafted after its cached tokens.
    // (A request with fewer keys than queries cannot hold a tree after a prefix: it gets random bits.)
    const masks = qoLens.map((qoLen, b) => {
      if (kvLens[b] < qoLen) return Uint8Array.from({ length: qoLen * kvLens[b] }, () => (random() < 0.5 ? 1 : 0));
      const parents = Array.from({ length: qoLen }, (_, i) => (i === 0 ? -1 : Math.floor(random() * (i + 1)) - 1));
      return treeMask(parents, kvLens[b] - qoLen);
    });
    Object.assign(tensors, packMaskBits(masks));
  }
  for (const t of variant.ir.tensors) {
    if (tensors[t.name]) continue;
    const length = Math.max(1, shape.totalKv);
    tensors[t.name] =
      t.type === 'f32'
        ? Float32Array.from({ length }, () => random() * 2 - 1)
        : t.type === 'i32'
          ? Int32Array.from({ length }, () => Math.floor(random() * length))
          : Uint32Array.from({ length }, () => Math.floor(random() * 2 ** 32));
  }
  return tensors;
}
