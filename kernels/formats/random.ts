import type { AttentionArgs, PagedKv, RaggedKv } from '../types.ts';

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
export function randomBatch(spec: RandomBatchSpec): AttentionArgs & { kv: RaggedKv } {
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

/**
 * The same batch with its keys and values moved into a paged cache: pages of `pageSize` slots in a
 * shuffled order (as an allocator that has run a while hands them out), a few spare pages, and a
 * partial last page wherever a length is not a multiple of the page size.
 */
export function pageBatch(args: AttentionArgs & { kv: RaggedKv }, pageSize: number, seed = 1): AttentionArgs & { kv: PagedKv } {
  const random = seededRandom(seed);
  const { kvIndptr } = args.kv;
  const batchSize = kvIndptr.length - 1;
  const rowFloats = args.numKvHeads * args.headDim;
  const pagesPerRequest = Array.from({ length: batchSize }, (_, b) => Math.ceil((kvIndptr[b + 1] - kvIndptr[b]) / pageSize));
  const usedPages = pagesPerRequest.reduce((sum, n) => sum + n, 0);
  const numPages = usedPages + 2;
  const order = Array.from({ length: numPages }, (_, i) => i);
  for (let i = numPages - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const kPages = new Float32Array(numPages * pageSize * rowFloats);
  const vPages = new Float32Array(numPages * pageSize * rowFloats);
  const pageIndptr = new Uint32Array(batchSize + 1);
  const kvIndices = new Uint32Array(usedPages);
  const kvLastPageLen = new Uint32Array(batchSize);
  let next = 0;
  for (let b = 0; b < batchSize; b++) {
    const kvLen = kvIndptr[b + 1] - kvIndptr[b];
    pageIndptr[b + 1] = pageIndptr[b] + pagesPerRequest[b];
    kvLastPageLen[b] = kvLen === 0 ? 0 : kvLen - (pagesPerRequest[b] - 1) * pageSize;
    for (let p = 0; p < pagesPerRequest[b]; p++) kvIndices[pageIndptr[b] + p] = order[next++];
    for (let j = 0; j < kvLen; j++) {
      const row = kvIndices[pageIndptr[b] + Math.floor(j / pageSize)] * pageSize + (j % pageSize);
      const from = (kvIndptr[b] + j) * rowFloats;
      kPages.set(args.kv.k.subarray(from, from + rowFloats), row * rowFloats);
      vPages.set(args.kv.v.subarray(from, from + rowFloats), row * rowFloats);
    }
  }
  return { ...args, kv: { kind: 'paged', kPages, vPages, pageSize, kvIndptr: pageIndptr, kvIndices, kvLastPageLen } };
}
