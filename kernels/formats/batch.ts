import { AttentionInputError } from '../errors.ts';
import { MAX_PAGE_SIZE, SUPPORTED_HEAD_DIMS, type AttentionArgs, type HeadDim, type IndexArray, type PagedKv, type RaggedKv } from '../types.ts';

/** A checked batch: every count the kernels need, derived once from the arguments. */
export interface BatchShape {
  batchSize: number;
  qoIndptr: Uint32Array;
  /** Keys of each request. */
  kvLens: Uint32Array;
  /** Where each request's keys start: a token row (ragged) or an entry of `paged.kvIndices` (paged). */
  kvStarts: Uint32Array;
  /** Present when the KV cache is paged. */
  paged?: { pageSize: number; kvIndices: Uint32Array; numPages: number };
  /** Token rows in `k` and `v`: `totalKv` when ragged, `numPages * pageSize` when paged. */
  kvRows: number;
  totalQo: number;
  /** Keys over all requests. */
  totalKv: number;
  numQoHeads: number;
  numKvHeads: number;
  headDim: HeadDim;
  /** Query heads per KV head (grouped-query attention). */
  group: number;
  causal: boolean;
  smScale: number;
}

function positiveInt(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new AttentionInputError(name, `must be a positive integer, got ${String(value)}`);
  }
  return value;
}

/** Checks an indptr array: starts at 0, never decreases, and returns it as Uint32Array. */
export function checkIndptr(name: string, indptr: IndexArray | undefined): Uint32Array {
  if (indptr === undefined || typeof (indptr as ArrayLike<number>).length !== 'number') {
    throw new AttentionInputError(name, 'is missing; pass batchSize + 1 offsets starting at 0');
  }
  if (indptr.length < 2) {
    throw new AttentionInputError(name, `needs batchSize + 1 >= 2 entries, got ${indptr.length}`);
  }
  const out = new Uint32Array(indptr.length);
  for (let i = 0; i < indptr.length; i++) {
    const x = indptr[i];
    if (!Number.isInteger(x) || x < 0 || x > 0xffffffff) {
      throw new AttentionInputError(name, `entry ${i} is ${x}, not a non-negative integer`);
    }
    if (i === 0 && x !== 0) throw new AttentionInputError(name, `must start at 0, starts at ${x}`);
    if (i > 0 && x < out[i - 1]) {
      throw new AttentionInputError(name, `must not decrease: entry ${i} is ${x} after ${out[i - 1]}`);
    }
    out[i] = x;
  }
  return out;
}

function checkLength(name: string, array: unknown, expected: number, shape: string): void {
  if (!(array instanceof Float32Array)) {
    throw new AttentionInputError(name, 'must be a Float32Array');
  }
  if (array.length !== expected) {
    throw new AttentionInputError(name, `has ${array.length} values but the shape ${shape} needs ${expected}`);
  }
}

/** Validates attention arguments for every backend; throws AttentionInputError naming the argument. */
export function checkAttentionArgs(args: AttentionArgs): BatchShape {
  const headDim = positiveInt('headDim', args.headDim);
  if (!(SUPPORTED_HEAD_DIMS as readonly number[]).includes(headDim)) {
    throw new AttentionInputError('headDim', `${headDim} is not supported; use one of ${SUPPORTED_HEAD_DIMS.join(', ')}`);
  }
  const numQoHeads = positiveInt('numQoHeads', args.numQoHeads);
  const numKvHeads = positiveInt('numKvHeads', args.numKvHeads);
  if (numQoHeads % numKvHeads !== 0) {
    throw new AttentionInputError(
      'numKvHeads',
      `${numKvHeads} does not divide numQoHeads ${numQoHeads}; grouped-query attention needs whole groups`,
    );
  }
  const kv = args.kv;
  if (kv === undefined || (kv.kind !== 'ragged' && kv.kind !== 'paged')) {
    throw new AttentionInputError('kv.kind', `must be 'ragged' or 'paged', got ${String((kv as { kind?: unknown } | undefined)?.kind)}`);
  }
  const qoIndptr = checkIndptr('qoIndptr', args.qoIndptr);
  const kvIndptr = checkIndptr('kv.kvIndptr', kv.kvIndptr);
  if (kvIndptr.length !== qoIndptr.length) {
    throw new AttentionInputError(
      'kv.kvIndptr',
      `has ${kvIndptr.length} entries but qoIndptr has ${qoIndptr.length}; both need batchSize + 1`,
    );
  }
  const batchSize = qoIndptr.length - 1;
  const totalQo = qoIndptr[batchSize];
  checkLength('q', args.q, totalQo * numQoHeads * headDim, `[${totalQo}, ${numQoHeads}, ${headDim}]`);
  const kvShape = kv.kind === 'paged' ? checkPagedKv(kv, kvIndptr, numKvHeads, headDim) : checkRaggedKv(kv, kvIndptr, numKvHeads, headDim);
  const smScale = args.smScale ?? 1 / Math.sqrt(headDim);
  if (!Number.isFinite(smScale)) throw new AttentionInputError('smScale', `must be finite, got ${smScale}`);
  return {
    batchSize,
    qoIndptr,
    ...kvShape,
    totalQo,
    totalKv: kvShape.kvLens.reduce((sum, n) => sum + n, 0),
    numQoHeads,
    numKvHeads,
    headDim: headDim as HeadDim,
    group: numQoHeads / numKvHeads,
    causal: args.causal ?? false,
    smScale,
  };
}

type KvShape = Pick<BatchShape, 'kvLens' | 'kvStarts' | 'paged' | 'kvRows'>;

function checkRaggedKv(kv: RaggedKv, kvIndptr: Uint32Array, numKvHeads: number, headDim: number): KvShape {
  const rows = kvIndptr[kvIndptr.length - 1];
  checkLength('kv.k', kv.k, rows * numKvHeads * headDim, `[${rows}, ${numKvHeads}, ${headDim}]`);
  checkLength('kv.v', kv.v, rows * numKvHeads * headDim, `[${rows}, ${numKvHeads}, ${headDim}]`);
  return {
    kvLens: kvIndptr.subarray(1).map((end, b) => end - kvIndptr[b]),
    kvStarts: kvIndptr.slice(0, -1),
    kvRows: rows,
  };
}

/** FlashInfer's paged layout: pages of `pageSize` tokens, NHD inside a page. */
function checkPagedKv(kv: PagedKv, kvIndptr: Uint32Array, numKvHeads: number, headDim: number): KvShape {
  const pageSize = kv.pageSize;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    throw new AttentionInputError('kv.pageSize', `must be a whole number from 1 to ${MAX_PAGE_SIZE}, got ${pageSize}`);
  }
  const pageFloats = pageSize * numKvHeads * headDim;
  if (!(kv.kPages instanceof Float32Array) || kv.kPages.length % pageFloats !== 0 || kv.kPages.length === 0) {
    throw new AttentionInputError('kv.kPages', `must be a Float32Array of whole pages [numPages, ${pageSize}, ${numKvHeads}, ${headDim}]`);
  }
  const numPages = kv.kPages.length / pageFloats;
  checkLength('kv.vPages', kv.vPages, kv.kPages.length, `[${numPages}, ${pageSize}, ${numKvHeads}, ${headDim}] (as kPages)`);
  const batchSize = kvIndptr.length - 1;
  const usedPages = kvIndptr[batchSize];
  if (kv.kvIndices === undefined || kv.kvIndices.length !== usedPages) {
    throw new AttentionInputError('kv.kvIndices', `needs kvIndptr[${batchSize}] = ${usedPages} page numbers, got ${kv.kvIndices?.length ?? 'none'}`);
  }
  const kvIndices = Uint32Array.from(kv.kvIndices);
  kvIndices.forEach((page, i) => {
    if (!Number.isInteger(kv.kvIndices[i]) || kv.kvIndices[i] < 0 || page >= numPages) {
      throw new AttentionInputError('kv.kvIndices', `entry ${i} is ${kv.kvIndices[i]}, but pages are numbered 0 to ${numPages - 1}`);
    }
  });
  if (kv.kvLastPageLen === undefined || kv.kvLastPageLen.length !== batchSize) {
    throw new AttentionInputError('kv.kvLastPageLen', `needs one entry per request (${batchSize}), got ${kv.kvLastPageLen?.length ?? 'none'}`);
  }
  const kvLens = new Uint32Array(batchSize);
  for (let b = 0; b < batchSize; b++) {
    const pages = kvIndptr[b + 1] - kvIndptr[b];
    const last = kv.kvLastPageLen[b];
    const lowest = pages === 0 ? 0 : 1;
    const highest = pages === 0 ? 0 : pageSize;
    if (!Number.isInteger(last) || last < lowest || last > highest) {
      throw new AttentionInputError(
        'kv.kvLastPageLen',
        `entry ${b} is ${last}; request ${b} has ${pages} page${pages === 1 ? '' : 's'}, so it must be ${pages === 0 ? '0' : `from 1 to ${pageSize}`}`,
      );
    }
    kvLens[b] = pages === 0 ? 0 : (pages - 1) * pageSize + last;
  }
  return { kvLens, kvStarts: kvIndptr.slice(0, -1), paged: { pageSize, kvIndices, numPages }, kvRows: numPages * pageSize };
}

/** The token row of key `j` of request `b` in `k`/`v` (ragged) or `kPages`/`vPages` (paged). */
export function kvRow(shape: BatchShape, b: number, j: number): number {
  if (!shape.paged) return shape.kvStarts[b] + j;
  const { pageSize, kvIndices } = shape.paged;
  return kvIndices[shape.kvStarts[b] + Math.floor(j / pageSize)] * pageSize + (j % pageSize);
}

/** The key and value arrays of either layout (token rows, addressed through `kvRow`). */
export function kvData(kv: AttentionArgs['kv']): { k: Float32Array; v: Float32Array } {
  return kv.kind === 'paged' ? { k: kv.kPages, v: kv.vPages } : { k: kv.k, v: kv.v };
}

/** Bottom-right aligned causal rule shared by the reference and the kernels. */
export function causalVisible(qo: number, kv: number, qoLen: number, kvLen: number): boolean {
  return kv <= qo + kvLen - qoLen;
}

/**
 * The keys a tile of query rows `[q0, q0 + rows)` of request `b` can see: all of them, or with the
 * causal flag those up to its last row's diagonal (the tile's kernels skip the keys after).
 */
export function tileKeyEnd(shape: Pick<BatchShape, 'qoIndptr' | 'kvLens' | 'causal'>, b: number, q0: number, rows: number): number {
  const qoLen = shape.qoIndptr[b + 1] - shape.qoIndptr[b];
  const kvLen = shape.kvLens[b];
  if (!shape.causal) return kvLen;
  return causalKeyEnd(qoLen, kvLen, q0 + rows);
}

/** Keys `[0, end)` a causal request's first `rows` queries see together: its query `rows − 1`'s keys. */
export function causalKeyEnd(qoLen: number, kvLen: number, rows: number): number {
  return Math.max(0, Math.min(kvLen, Math.min(qoLen, rows) + kvLen - qoLen));
}

/** Query tiles of a batch as (request, first row) pairs, flattened: one workgroup per pair and head. */
export function queryTiles(shape: Pick<BatchShape, 'batchSize' | 'qoIndptr'>, tileQ: number): Uint32Array {
  const tiles: number[] = [];
  for (let b = 0; b < shape.batchSize; b++) {
    const qoLen = shape.qoIndptr[b + 1] - shape.qoIndptr[b];
    for (let start = 0; start < qoLen; start += tileQ) tiles.push(b, start);
  }
  return Uint32Array.from(tiles);
}
