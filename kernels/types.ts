/** Shapes and values shared by every backend. Layouts follow FlashInfer (see formats/README.md). */

import type { BsrLayout } from './formats/bsr.ts';
import type { DecodePlanChoice } from './gpu/decode-attention.ts';
import type { Plan } from './plan/plan.ts';
import type { CompiledVariant, RangeReport } from './variant/compile.ts';

export const SUPPORTED_HEAD_DIMS = [64, 128] as const;
export type HeadDim = (typeof SUPPORTED_HEAD_DIMS)[number];

export type IndexArray = Uint32Array | Int32Array | readonly number[];

/** Keys and values packed request after request: `k[kvIndptr[b] .. kvIndptr[b+1]]` is request b. */
export interface RaggedKv {
  kind: 'ragged';
  /** `[totalKv, numKvHeads, headDim]`, row-major. */
  k: Float32Array;
  /** `[totalKv, numKvHeads, headDim]`, row-major. */
  v: Float32Array;
  /** `batchSize + 1` offsets into the token dimension of `k` and `v`. */
  kvIndptr: IndexArray;
}

/**
 * FlashInfer's paged KV cache: pages of `pageSize` token slots, NHD inside a page. Request b owns
 * pages `kvIndices[kvIndptr[b] .. kvIndptr[b+1]]` in order; its last page holds `kvLastPageLen[b]`
 * tokens (1 … pageSize; 0 for a request with no pages).
 */
export interface PagedKv {
  kind: 'paged';
  /** `[numPages, pageSize, numKvHeads, headDim]`. */
  kPages: Float32Array;
  /** `[numPages, pageSize, numKvHeads, headDim]`. */
  vPages: Float32Array;
  pageSize: number;
  /** `batchSize + 1` offsets into `kvIndices`. */
  kvIndptr: IndexArray;
  /** Page numbers, request after request. */
  kvIndices: IndexArray;
  kvLastPageLen: IndexArray;
}

export const MAX_PAGE_SIZE = 64;

export type KvLayout = RaggedKv | PagedKv;

export interface AttentionArgs {
  /** `[totalQo, numQoHeads, headDim]`, row-major. */
  q: Float32Array;
  /** `batchSize + 1` offsets into the token dimension of `q`. */
  qoIndptr: IndexArray;
  kv: KvLayout;
  numQoHeads: number;
  numKvHeads: number;
  headDim: number;
  /** Bottom-right aligned: query `i` of a request sees key `j` when `j <= i + kvLen - qoLen`. */
  causal?: boolean;
  /** Multiplies `q·k`; defaults to the variant's `smScale`, else `1/sqrt(headDim)`. */
  smScale?: number;
  /** A compiled attention variant (`compileVariant`); none means plain softmax attention. */
  variant?: CompiledVariant;
  /** Values for the variant's vars; missing ones take the variant's defaults. */
  vars?: Record<string, number>;
  /** Data for every tensor the variant declares, typed as declared. */
  tensors?: Record<string, TensorData>;
  /** WebGPU only: force a kernel; by default decode batches (≤ 1 query per request) use split-KV decode. */
  kernel?: 'prefill' | 'decode';
  /**
   * Block-sparse attention (formats/bsr.ts): only the stored blocks' scores count, the causal flag
   * and `logitsMask` apply only inside partial blocks. On WebGPU the register-tiled prefill kernel
   * skips every KV tile no stored block touches.
   */
  bsr?: BsrLayout;
  /**
   * Composable formats: several BSR layouts (block sizes may differ) that never store the same
   * score, each computed on its own and merged by log-sum-exp (the CPU checks they are disjoint;
   * the GPU trusts it).
   */
  formats?: BsrLayout[];
  /**
   * Cascade attention: every request's paged KV starts with these many keys on the same pages
   * (formats/cascade.ts). They are attended once for all queries of the batch and merged with each
   * request's own keys. Plain attention only (no variant hooks).
   */
  sharedPrefix?: number;
  /**
   * WebGPU: the work plan. Decode batches always run one on the decode kernel: `'balanced'`
   * (default: `plan()`, keys split and items spread over the engine's `planWorkgroups`), `'naive'`
   * (one item per request and KV head's group of query heads, no split), or a Plan made with
   * `itemHeads` of `decodeHeads(group)` (checked against the batch). Other batches (prefill,
   * append, mixed) on the register-tiled kernel run `'balanced'` or `'naive'` (plans of items
   * covering every head, `prefillPlanModel`), a given Plan (its `qoTile` a multiple of the
   * kernel's tile rows, its chunks whole 64-key tiles), or `'none'`: one workgroup per query tile,
   * longest first. Left out, they run the balanced plan where `autoPrefillPlan` predicts it gains
   * at least 1.25x over that launch (appends onto long caches), else the launch. Split query
   * tiles are merged by the contraction kernel.
   */
  plan?: DecodePlanChoice | 'none';
}

export type TensorData = Float32Array | Int32Array | Uint32Array;

export interface AttentionResult {
  /** `[totalQo, numQoHeads, headDim]`. A row with no visible key is all zeros. */
  o: Float32Array;
  /** `[totalQo, numQoHeads]`, natural log of the softmax denominator; `-Infinity` when no key is visible. */
  lse: Float32Array;
  timing?: Timing;
  /** `Engine.benchmark` only: the GPU milliseconds of each timed run (`timing.ms` is their median). */
  runTimes?: number[];
  /** Which GPU kernel ran: the register-tiled prefill kernel (walking block lists for `bsr`), the simple tiled one (vector hooks, small devices), or split-KV decode with its merge. */
  kernel?: 'prefill-tiled' | 'prefill-bsr' | 'prefill-composed' | 'prefill-planned' | 'cascade' | 'prefill' | 'decode';
  /** The plan that ran, where one did (its predicted loads beside the measured time). */
  plan?: Plan;
  /** CPU runs only: hook reads outside a tensor or vector (the GPU clamps the same reads). */
  rangeReports?: RangeReport[];
}

export interface Timing {
  /** Milliseconds of GPU execution. */
  ms: number;
  /** `timestamp`: GPU timestamp queries around the pass; `wall`: submit to completion on the CPU clock. */
  source: 'timestamp' | 'wall' | 'cpu';
}
