import type { AttentionArgs } from '../types.ts';

/** mulberry32: a small, fast, seedable PRNG so a batch is reproducible from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RandomBatchSpec {
  qoLens: readonly number[];
  kvLens: readonly number[];
  numQoHeads: number;
  numKvHeads: number;
  headDim: number;
  causal?: boolean;
  seed?: number;
}

function indptr(lengths: readonly number[]): Uint32Array {
  const out = new Uint32Array(lengths.length + 1);
  lengths.forEach((n, i) => (out[i + 1] = out[i] + n));
  return out;
}

/** A ragged batch with q, k, v uniform in [-1, 1), reproducible from `seed`. */
export function randomBatch(spec: RandomBatchSpec): AttentionArgs {
  if (spec.qoLens.length !== spec.kvLens.length) {
    throw new RangeError(`qoLens has ${spec.qoLens.length} requests but kvLens has ${spec.kvLens.length}`);
  }
  const random = seededRandom(spec.seed ?? 1);
  const fill = (n: number) => Float32Array.from({ length: n }, () => random() * 2 - 1);
  const qoIndptr = indptr(spec.qoLens);
  const kvIndptr = indptr(spec.kvLens);
  const totalKv = kvIndptr[kvIndptr.length - 1];
  return {
    q: fill(qoIndptr[qoIndptr.length - 1] * spec.numQoHeads * spec.headDim),
    qoIndptr,
    kv: {
      kind: 'ragged',
      k: fill(totalKv * spec.numKvHeads * spec.headDim),
      v: fill(totalKv * spec.numKvHeads * spec.headDim),
      kvIndptr,
    },
    numQoHeads: spec.numQoHeads,
    numKvHeads: spec.numKvHeads,
    headDim: spec.headDim,
    causal: spec.causal ?? false,
  };
}
