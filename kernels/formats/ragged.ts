import { AttentionInputError } from '../errors.ts';
import { SUPPORTED_HEAD_DIMS, type AttentionArgs, type HeadDim, type IndexArray } from '../types.ts';

/** A checked batch: every count the kernels need, derived once from the arguments. */
export interface BatchShape {
  batchSize: number;
  qoIndptr: Uint32Array;
  kvIndptr: Uint32Array;
  totalQo: number;
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
  if (kv === undefined || kv.kind !== 'ragged') {
    throw new AttentionInputError('kv.kind', `must be 'ragged', got ${String(kv?.kind)}`);
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
  const totalKv = kvIndptr[batchSize];
  checkLength('q', args.q, totalQo * numQoHeads * headDim, `[${totalQo}, ${numQoHeads}, ${headDim}]`);
  checkLength('kv.k', kv.k, totalKv * numKvHeads * headDim, `[${totalKv}, ${numKvHeads}, ${headDim}]`);
  checkLength('kv.v', kv.v, totalKv * numKvHeads * headDim, `[${totalKv}, ${numKvHeads}, ${headDim}]`);
  const smScale = args.smScale ?? 1 / Math.sqrt(headDim);
  if (!Number.isFinite(smScale)) throw new AttentionInputError('smScale', `must be finite, got ${smScale}`);
  return {
    batchSize,
    qoIndptr,
    kvIndptr,
    totalQo,
    totalKv,
    numQoHeads,
    numKvHeads,
    headDim: headDim as HeadDim,
    group: numQoHeads / numKvHeads,
    causal: args.causal ?? false,
    smScale,
  };
}

/** Bottom-right aligned causal rule shared by the reference and the kernels. */
export function causalVisible(qo: number, kv: number, qoLen: number, kvLen: number): boolean {
  return kv <= qo + kvLen - qoLen;
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
