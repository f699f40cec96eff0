import { AttentionInputError } from '../errors.ts';
import type { AttentionArgs, PagedKv } from '../types.ts';
import { checkAttentionArgs } from './batch.ts';

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
 * A paged batch of decode-like requests sharing a prefix: `prefixLen` keys on the same pages for
 * every request, then `suffixLens[b]` keys of its own, one query each unless `qoLens` says.
 * Built from a ragged batch's values so tests and benchmarks can check it against the reference.
 */
export function sharedPrefixBatch(base: AttentionArgs & { kv: PagedKv }, prefixLen: number): AttentionArgs & { kv: PagedKv } {
  const shape = checkAttentionArgs(base);
  const { pageSize } = base.kv;
  if (prefixLen % pageSize !== 0) throw new AttentionInputError('prefixLen', `must be a multiple of the page size ${pageSize}, got ${prefixLen}`);
  const pages = prefixLen / pageSize;
  // Every request's first pages become request 0's: the same page numbers, the same keys.
  const kvIndices = Uint32Array.from(base.kv.kvIndices);
  for (let b = 1; b < shape.batchSize; b++) {
    if (shape.kvLens[b] < prefixLen) throw new AttentionInputError('prefixLen', `is ${prefixLen} but request ${b} has only ${shape.kvLens[b]} keys`);
    for (let p = 0; p < pages; p++) kvIndices[shape.kvStarts[b] + p] = kvIndices[shape.kvStarts[0] + p];
  }
  return { ...base, kv: { ...base.kv, kvIndices } };
}
