import { AttentionInputError } from '../errors.ts';
import type { AttentionArgs, PagedKv } from '../types.ts';
import { checkAttentionArgs } from './batch.ts';
import { seededRandom } from './random.ts';

/**
 * Cascade attention (FlashInfer's multi-level cascade, two levels): when every request's paged KV
 * cache starts with the same pages — a shared system prompt or few-shot prefix — attention to those
 * keys is computed once for all queries of the batch as one long query block (compute-bound, the
 * prefix read once per KV head) instead of once per request (the prefix read per request), then
 * merged by log-sum-exp with each request's attention to its own suffix. It is one instance of
 * composable formats: the prefix is a block of all queries × the prefix keys, each suffix a block
 * per request.
 */
export interface CascadeLevels {
  /** Every query of the batch as one request, against the shared prefix pages (every key visible). */
  prefix: AttentionArgs & { kv: PagedKv };
  /** The batch against each request's keys after the prefix (causal as the batch is). */
  suffix: AttentionArgs & { kv: PagedKv };
  prefixLen: number;
}

/**
 * Splits a paged batch whose requests share their first `prefixLen` keys (whole pages, the same
 * page numbers) into the two levels. Rejects, naming the argument: a ragged KV cache, a prefix
 * that is not whole pages or longer than a request, requests whose first pages differ, causal
 * queries that would not see the whole prefix, and variants with hooks (they see positions within
 * one request, which the shared level mixes).
 */
export function cascadeLevels(args: AttentionArgs, prefixLen: number): CascadeLevels {
  const shape = checkAttentionArgs(args);
  if (args.kv.kind !== 'paged' || !shape.paged) {
    throw new AttentionInputError('kv', 'cascade needs a paged KV cache whose requests share their first pages');
  }
  const kv = args.kv;
  const { pageSize, kvIndices } = shape.paged;
  if (!Number.isInteger(prefixLen) || prefixLen < pageSize || prefixLen % pageSize !== 0) {
    throw new AttentionInputError('prefixLen', `must be a positive multiple of the page size ${pageSize}, got ${prefixLen}`);
  }
  const hooks = args.variant?.ir.hooks ?? {};
  const hookNames = Object.entries(hooks).filter(([, hook]) => hook).map(([name]) => name);
  if (hookNames.length) {
    throw new AttentionInputError('variant', `cascade runs plain attention; this variant has ${hookNames.join(', ')}, which would see the shared level's positions, not each request's`);
  }
  const pages = prefixLen / pageSize;
  const first = shape.kvStarts;
  for (let b = 0; b < shape.batchSize; b++) {
    if (shape.kvLens[b] < prefixLen) {
      throw new AttentionInputError('prefixLen', `is ${prefixLen} but request ${b} has only ${shape.kvLens[b]} keys`);
    }
    for (let p = 0; p < pages; p++) {
      if (kvIndices[first[b] + p] !== kvIndices[first[0] + p]) {
        throw new AttentionInputError('kv.kvIndices', `entry ${first[b] + p} (request ${b}, page ${p}) is page ${kvIndices[first[b] + p]}, but request 0 has page ${kvIndices[first[0] + p]} there; the prefix must be the same pages`);
      }
    }
    const qoLen = shape.qoIndptr[b + 1] - shape.qoIndptr[b];
    if (shape.causal && qoLen > shape.kvLens[b] - prefixLen + 1) {
      throw new AttentionInputError('prefixLen', `request ${b}'s first query would not see the whole prefix (causal, ${qoLen} queries, ${shape.kvLens[b]} keys); the prefix must end before its queries`);
    }
  }

  const suffixIndptr = new Uint32Array(shape.batchSize + 1);
  const suffixIndices: number[] = [];
  const suffixLast = new Uint32Array(shape.batchSize);
  for (let b = 0; b < shape.batchSize; b++) {
    const own = Math.ceil(shape.kvLens[b] / pageSize) - pages;
    for (let p = 0; p < own; p++) suffixIndices.push(kvIndices[first[b] + pages + p]);
    suffixIndptr[b + 1] = suffixIndptr[b] + own;
    suffixLast[b] = own === 0 ? 0 : kv.kvLastPageLen[b];
  }
  const smScale = args.smScale ?? args.variant?.smScale ?? shape.smScale;
  const common = { q: args.q, numQoHeads: args.numQoHeads, numKvHeads: args.numKvHeads, headDim: args.headDim, smScale, variant: args.variant, vars: args.vars, tensors: args.tensors };
  return {
    prefixLen,
    prefix: {
      ...common,
      qoIndptr: [0, shape.totalQo],
      causal: false,
      kv: { ...kv, kvIndptr: [0, pages], kvIndices: kvIndices.slice(first[0], first[0] + pages), kvLastPageLen: [pageSize] },
    },
    suffix: {
      ...common,
      qoIndptr: args.qoIndptr,
      causal: args.causal,
      kv: { ...kv, kvIndptr: suffixIndptr, kvIndices: Uint32Array.from(suffixIndices), kvLastPageLen: suffixLast },
    },
  };
}

/**
 * The shared level with each KV head's group of query heads folded into query rows (FlashInfer's
 * GQA trick for the shared prefix): row `t · group + j`, head `g` holds query `t`'s head
 * `g · group + j`, so one workgroup's query tile meets each K/V tile once for the whole group, and
 * the tile fills with rows. Valid because the shared level has no mask and no hooks.
 */
export function foldQueryHeads(prefix: AttentionArgs): AttentionArgs {
  const shape = checkAttentionArgs(prefix);
  const { group, numKvHeads, headDim, totalQo } = shape;
  if (group === 1) return prefix;
  const q = new Float32Array(prefix.q.length);
  for (let t = 0; t < totalQo; t++) {
    for (let h = 0; h < shape.numQoHeads; h++) {
      const g = Math.floor(h / group);
      const row = t * group + (h % group);
      q.set(prefix.q.subarray((t * shape.numQoHeads + h) * headDim, (t * shape.numQoHeads + h + 1) * headDim), (row * numKvHeads + g) * headDim);
    }
  }
  return { ...prefix, q, qoIndptr: [0, totalQo * group], numQoHeads: numKvHeads };
}

export interface SharedPrefixSpec {
  prefixLen: number;
  /** Keys of each request after the prefix (its queries are its last `qoLens[b]` tokens). */
  suffixLens: readonly number[];
  /** Queries per request (default 1: decode). */
  qoLens?: readonly number[];
  numQoHeads: number;
  numKvHeads: number;
  headDim: number;
  pageSize: number;
  causal?: boolean;
  seed?: number;
  /** Give each request its own copy of the prefix (same values, its own pages) instead of sharing pages. */
  copies?: boolean;
}

/**
 * A paged batch whose requests start with the same `prefixLen` keys: on the same pages (what a
 * radix or prefix cache gives), or with `copies` on pages of their own holding the same values.
 * Values are uniform in [-1, 1), seeded; pages are numbered prefix first, then request by request.
 */
export function sharedPrefixBatch(spec: SharedPrefixSpec): AttentionArgs & { kv: PagedKv } {
  const { prefixLen, suffixLens, pageSize, numKvHeads, headDim } = spec;
  if (!Number.isInteger(prefixLen) || prefixLen < 0 || prefixLen % pageSize !== 0) {
    throw new AttentionInputError('prefixLen', `must be a multiple of the page size ${pageSize}, got ${prefixLen}`);
  }
  const batchSize = suffixLens.length;
  const qoLens = spec.qoLens ?? Array<number>(batchSize).fill(1);
  const qoIndptr = new Uint32Array(batchSize + 1);
  for (let b = 0; b < batchSize; b++) qoIndptr[b + 1] = qoIndptr[b] + qoLens[b];
  const random = seededRandom(spec.seed ?? 1);
  const fill = (n: number) => Float32Array.from({ length: n }, () => random() * 2 - 1);
  const q = fill(qoIndptr[batchSize] * spec.numQoHeads * headDim);
  // Pages: the prefix, then every request's own pages, then (copies) the prefix again per request
  // after the first; the same seed gives the same values whether or not the prefix is copied.
  const prefixPages = prefixLen / pageSize;
  const ownPages = suffixLens.map((n) => Math.ceil(n / pageSize));
  const usedPages = prefixPages + ownPages.reduce((a, b) => a + b, 0);
  const numPages = usedPages + (spec.copies ? prefixPages * (batchSize - 1) : 0);
  const pageFloats = pageSize * numKvHeads * headDim;
  const kPages = new Float32Array(numPages * pageFloats);
  const vPages = new Float32Array(numPages * pageFloats);
  kPages.set(fill(usedPages * pageFloats));
  vPages.set(fill(usedPages * pageFloats));
  const kvIndptr = new Uint32Array(batchSize + 1);
  const kvIndices: number[] = [];
  const kvLastPageLen = new Uint32Array(batchSize);
  let own = prefixPages;
  let copy = usedPages;
  for (let b = 0; b < batchSize; b++) {
    for (let p = 0; p < prefixPages; p++) {
      if (spec.copies && b > 0) {
        kPages.copyWithin(copy * pageFloats, p * pageFloats, (p + 1) * pageFloats);
        vPages.copyWithin(copy * pageFloats, p * pageFloats, (p + 1) * pageFloats);
        kvIndices.push(copy++);
      } else {
        kvIndices.push(p);
      }
    }
    for (let p = 0; p < ownPages[b]; p++) kvIndices.push(own++);
    kvIndptr[b + 1] = kvIndices.length;
    const kvLen = prefixLen + suffixLens[b];
    kvLastPageLen[b] = kvLen === 0 ? 0 : kvLen - (kvIndptr[b + 1] - kvIndptr[b] - 1) * pageSize;
  }
  return {
    q,
    qoIndptr,
    kv: { kind: 'paged', kPages, vPages, pageSize, kvIndptr, kvIndices: Uint32Array.from(kvIndices), kvLastPageLen },
    numQoHeads: spec.numQoHeads,
    numKvHeads,
    headDim,
    causal: spec.causal ?? true,
  };
}
