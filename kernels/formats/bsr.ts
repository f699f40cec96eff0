import { AttentionInputError } from '../errors.ts';
import type { AttentionArgs, IndexArray } from '../types.ts';
import type { JsHooks, JsIdx } from '../variant/compile.ts';
import { resolveVariantInputs } from '../variant/inputs.ts';
import { causalVisible, checkAttentionArgs, kvData, kvRow, type BatchShape } from './batch.ts';
import { mergeStates, type AttentionState } from './merge.ts';

/**
 * A block-sparse row (BSR) matrix over one request's `rows × cols` = `qoLen × kvLen` scores, in
 * FlashInfer's convention: blocks of `R` query rows by `C` keys; block row `r` holds the nonzero
 * blocks `indices[indptr[r] .. indptr[r+1]]`, each a block column, ascending. A block not listed
 * is empty (skipped). A listed block is full (every score kept) or partial (the per-element mask
 * decides inside it).
 */
export interface BsrMatrix {
  rows: number;
  cols: number;
  R: number;
  C: number;
  /** `rows / R + 1` offsets into `indices`, from 0, never decreasing. */
  indptr: Uint32Array;
  /** The block column of each nonzero block. */
  indices: Uint32Array;
  /** 1 where a nonzero block needs the per-element mask, 0 where it is full. */
  partial: Uint8Array;
}

export type BlockKind = 'empty' | 'full' | 'partial';

/** What a caller hands in before checking; `partial` defaults to all zeros (every block full). */
export interface BsrInput {
  rows: number;
  cols: number;
  R: number;
  C: number;
  indptr: IndexArray;
  indices: IndexArray;
  partial?: ArrayLike<number>;
}

export interface BsrCheckOptions {
  /** Paged KV: a block of keys must be whole pages, so `C` must be a multiple of it. */
  pageSize?: number;
  /** Prefix of argument names in errors, e.g. `bsr.matrices[2].`. */
  name?: string;
}

function wholeNumber(name: string, value: unknown, lowest: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < lowest) {
    throw new AttentionInputError(name, `must be a whole number ≥ ${lowest}, got ${String(value)}`);
  }
  return value;
}

/** Checks a BSR matrix and returns it with typed arrays; throws AttentionInputError naming the array and the position. */
export function checkBsr(input: BsrInput, options: BsrCheckOptions = {}): BsrMatrix {
  const at = options.name ?? '';
  const rows = wholeNumber(`${at}rows`, input.rows, 0);
  const cols = wholeNumber(`${at}cols`, input.cols, 0);
  const R = wholeNumber(`${at}R`, input.R, 1);
  const C = wholeNumber(`${at}C`, input.C, 1);
  if (rows % R !== 0) throw new AttentionInputError(`${at}R`, `${R} does not divide the ${rows} query rows; pick a block height that does`);
  if (cols % C !== 0) throw new AttentionInputError(`${at}C`, `${C} does not divide the ${cols} keys; pick a block width that does`);
  if (options.pageSize !== undefined && C % options.pageSize !== 0) {
    throw new AttentionInputError(`${at}C`, `${C} is not a multiple of the page size ${options.pageSize}; a block of keys must be whole pages`);
  }
  const blockRows = rows / R;
  const blockCols = cols / C;
  const { indptr: rawIndptr, indices: rawIndices } = input;
  if (rawIndptr === undefined || rawIndptr.length !== blockRows + 1) {
    throw new AttentionInputError(`${at}indptr`, `needs rows / R + 1 = ${blockRows + 1} entries, got ${rawIndptr?.length ?? 'none'}`);
  }
  const indptr = new Uint32Array(blockRows + 1);
  for (let r = 0; r <= blockRows; r++) {
    const x = rawIndptr[r];
    if (!Number.isInteger(x) || x < 0) throw new AttentionInputError(`${at}indptr`, `entry ${r} is ${x}, not a whole number`);
    if (r === 0 && x !== 0) throw new AttentionInputError(`${at}indptr`, `must start at 0, starts at ${x}`);
    if (r > 0 && x < indptr[r - 1]) throw new AttentionInputError(`${at}indptr`, `must not decrease: entry ${r} is ${x} after ${indptr[r - 1]}`);
    indptr[r] = x;
  }
  const nonzero = indptr[blockRows];
  if (rawIndices === undefined || rawIndices.length !== nonzero) {
    throw new AttentionInputError(`${at}indices`, `needs indptr[${blockRows}] = ${nonzero} block columns, got ${rawIndices?.length ?? 'none'}`);
  }
  const indices = new Uint32Array(nonzero);
  for (let r = 0; r < blockRows; r++) {
    for (let i = indptr[r]; i < indptr[r + 1]; i++) {
      const c = rawIndices[i];
      if (!Number.isInteger(c) || c < 0 || c >= blockCols) {
        throw new AttentionInputError(`${at}indices`, `entry ${i} (block row ${r}) is ${c}, but block columns are 0 to ${blockCols - 1}`);
      }
      if (i > indptr[r] && c <= indices[i - 1]) {
        throw new AttentionInputError(`${at}indices`, `entry ${i} (block row ${r}) is ${c} after ${indices[i - 1]}; block columns in a row must strictly increase`);
      }
      indices[i] = c;
    }
  }
  const partial = new Uint8Array(nonzero);
  if (input.partial !== undefined) {
    if (input.partial.length !== nonzero) {
      throw new AttentionInputError(`${at}partial`, `needs one flag per nonzero block (${nonzero}), got ${input.partial.length}`);
    }
    for (let i = 0; i < nonzero; i++) {
      const flag = input.partial[i];
      if (flag !== 0 && flag !== 1) throw new AttentionInputError(`${at}partial`, `entry ${i} is ${flag}; flags are 0 (full) or 1 (partial)`);
      partial[i] = flag;
    }
  }
  return { rows, cols, R, C, indptr, indices, partial };
}

/** A nonzero block given by position; `partial` says the per-element mask applies inside it. */
export interface BsrBlock {
  row: number;
  col: number;
  partial?: boolean;
}

/** Builds a BSR matrix from a list of blocks in any order. Duplicates and blocks outside the grid are errors. */
export function bsrFromBlocks(spec: { rows: number; cols: number; R: number; C: number; blocks: readonly BsrBlock[] }, options: BsrCheckOptions = {}): BsrMatrix {
  const at = options.name ?? '';
  const { rows, cols, R, C } = checkBsr({ ...spec, indptr: [0, ...Array<number>(Math.floor(spec.rows / spec.R)).fill(0)], indices: [] }, options);
  const blockRows = rows / R;
  const blockCols = cols / C;
  spec.blocks.forEach((block, i) => {
    if (!Number.isInteger(block.row) || block.row < 0 || block.row >= blockRows || !Number.isInteger(block.col) || block.col < 0 || block.col >= blockCols) {
      throw new AttentionInputError(`${at}blocks`, `entry ${i} is (${block.row}, ${block.col}), outside the ${blockRows} × ${blockCols} block grid`);
    }
  });
  const order = spec.blocks.map((block, i) => ({ ...block, i })).sort((a, b) => a.row - b.row || a.col - b.col);
  const indptr = new Uint32Array(blockRows + 1);
  order.forEach((block, k) => {
    if (k > 0 && block.row === order[k - 1].row && block.col === order[k - 1].col) {
      throw new AttentionInputError(`${at}blocks`, `entries ${order[k - 1].i} and ${block.i} are both block (${block.row}, ${block.col})`);
    }
    indptr[block.row + 1]++;
  });
  for (let r = 0; r < blockRows; r++) indptr[r + 1] += indptr[r];
  return {
    rows, cols, R, C, indptr,
    indices: Uint32Array.from(order, (block) => block.col),
    partial: Uint8Array.from(order, (block) => (block.partial ? 1 : 0)),
  };
}

/**
 * Derives the BSR layout of a mask: every R×C block is classified by evaluating the mask on all
 * of its elements — none visible: empty (not stored); all visible: full; otherwise partial.
 */
export function bsrFromMask(visible: (qo: number, kv: number) => boolean, shape: { rows: number; cols: number; R: number; C: number }, options: BsrCheckOptions = {}): BsrMatrix {
  const { rows, cols, R, C } = checkBsr({ ...shape, indptr: [0, ...Array<number>(Math.floor(shape.rows / shape.R)).fill(0)], indices: [] }, options);
  const blocks: BsrBlock[] = [];
  for (let row = 0; row < rows / R; row++) {
    for (let col = 0; col < cols / C; col++) {
      let seen = 0;
      for (let i = row * R; i < (row + 1) * R; i++) for (let j = col * C; j < (col + 1) * C; j++) if (visible(i, j)) seen++;
      if (seen > 0) blocks.push({ row, col, partial: seen < R * C });
    }
  }
  return bsrFromBlocks({ rows, cols, R, C, blocks }, options);
}

/** The class of block (row, col): empty when not stored. */
export function blockKind(matrix: BsrMatrix, row: number, col: number): BlockKind {
  for (let i = matrix.indptr[row]; i < matrix.indptr[row + 1]; i++) {
    if (matrix.indices[i] === col) return matrix.partial[i] ? 'partial' : 'full';
  }
  return 'empty';
}

export interface BsrStats {
  blockRows: number;
  blockCols: number;
  blocks: Record<BlockKind, number>;
  /** Nonzero blocks over all blocks (1 for a grid with no blocks, where nothing is skipped or computed). */
  density: number;
  /**
   * Predicted work in scores: `scores` the kernel computes (R·C per nonzero block), `maskedScores`
   * of those that also run the per-element mask (partial blocks), `denseScores` a dense kernel computes.
   */
  work: { scores: number; maskedScores: number; denseScores: number };
}

export function bsrStats(matrix: BsrMatrix): BsrStats {
  const blockRows = matrix.rows / matrix.R;
  const blockCols = matrix.cols / matrix.C;
  const total = blockRows * blockCols;
  const nonzero = matrix.indices.length;
  const partial = matrix.partial.reduce((sum, flag) => sum + flag, 0);
  const area = matrix.R * matrix.C;
  return {
    blockRows,
    blockCols,
    blocks: { empty: total - nonzero, full: nonzero - partial, partial },
    density: total === 0 ? 1 : nonzero / total,
    work: { scores: nonzero * area, maskedScores: partial * area, denseScores: matrix.rows * matrix.cols },
  };
}

/**
 * BSR matrices for a whole batch, one block size: `heads: 'shared'` holds one matrix per request
 * (`matrices[b]`), `'perHead'` one per request and query head (`matrices[b * numQoHeads + h]`).
 */
export interface BsrLayout {
  R: number;
  C: number;
  heads: 'shared' | 'perHead';
  matrices: BsrMatrix[];
}

/** Checks a layout against a batch: one matrix per request (and head), each `qoLen × kvLen` with this layout's blocks. */
export function checkBsrLayout(layout: BsrLayout, shape: BatchShape, name = 'bsr'): void {
  if (layout.heads !== 'shared' && layout.heads !== 'perHead') {
    throw new AttentionInputError(`${name}.heads`, `must be 'shared' or 'perHead', got ${String(layout.heads)}`);
  }
  const expected = shape.batchSize * (layout.heads === 'perHead' ? shape.numQoHeads : 1);
  if (!Array.isArray(layout.matrices) || layout.matrices.length !== expected) {
    throw new AttentionInputError(`${name}.matrices`, `needs ${expected} matrices (${layout.heads === 'perHead' ? 'batchSize × numQoHeads' : 'one per request'}), got ${layout.matrices?.length ?? 'none'}`);
  }
  layout.matrices.forEach((matrix, m) => {
    const b = layout.heads === 'perHead' ? Math.floor(m / shape.numQoHeads) : m;
    const at = `${name}.matrices[${m}].`;
    const qoLen = shape.qoIndptr[b + 1] - shape.qoIndptr[b];
    if (matrix.rows !== qoLen || matrix.cols !== shape.kvLens[b]) {
      throw new AttentionInputError(`${at}rows`, `the matrix is ${matrix.rows} × ${matrix.cols} but request ${b} is ${qoLen} queries × ${shape.kvLens[b]} keys`);
    }
    if (matrix.R !== layout.R || matrix.C !== layout.C) {
      throw new AttentionInputError(`${at}R`, `blocks are ${matrix.R} × ${matrix.C} but the layout says ${layout.R} × ${layout.C}`);
    }
    checkBsr(matrix, { pageSize: shape.paged?.pageSize, name: at });
  });
}

/** The element mask of a batch as the reference applies it: the causal flag, then the variant's `logitsMask`. */
export function attentionMask(args: AttentionArgs): (idx: JsIdx) => boolean {
  const shape = checkAttentionArgs(args);
  const mask = bindHooks(args, shape).logitsMask;
  return (idx) => (!shape.causal || causalVisible(idx.qo, idx.kv, idx.qoLen, idx.kvLen)) && (mask ? mask(idx) : true);
}

/** The BSR layout of a batch's own mask (causal flag and variant `logitsMask`), classified block by block. */
export function bsrLayoutFromArgs(args: AttentionArgs, R: number, C: number, heads: BsrLayout['heads'] = 'perHead'): BsrLayout {
  const shape = checkAttentionArgs(args);
  const visible = attentionMask(args);
  const matrices: BsrMatrix[] = [];
  for (let b = 0; b < shape.batchSize; b++) {
    const qoLen = shape.qoIndptr[b + 1] - shape.qoIndptr[b];
    const kvLen = shape.kvLens[b];
    for (let h = 0; h < (heads === 'perHead' ? shape.numQoHeads : 1); h++) {
      const kvHead = Math.floor(h / shape.group);
      matrices.push(
        bsrFromMask((qo, kv) => visible({ batch: b, qo, kv, qoHead: h, kvHead, qoLen, kvLen }), { rows: qoLen, cols: kvLen, R, C }, {
          pageSize: shape.paged?.pageSize,
          name: `bsr.matrices[${matrices.length}].`,
        }),
      );
    }
  }
  return { R, C, heads, matrices };
}

function bindHooks(args: AttentionArgs, shape: BatchShape): JsHooks {
  if (!args.variant) return {};
  const inputs = resolveVariantInputs(args.variant, args.vars, args.tensors);
  return args.variant.instantiate({ ...inputs, headDim: shape.headDim }).hooks;
}

/** A run of keys `[start, end)` of one query row; `masked` runs the element mask on each. */
export interface KeySpan {
  start: number;
  end: number;
  masked: boolean;
}

/**
 * Computes float64 attention states over chosen key spans, with the variant's hooks as the
 * reference calls them (same `idx` values), so split, block-sparse and composed runs can be
 * compared with `referenceAttention`. Kept apart from the reference on purpose: the reference
 * never skips a key, this never looks at a key outside its spans.
 */
export class SpanAttention {
  readonly shape: BatchShape;
  readonly useSoftmax: boolean;
  private readonly hooks: JsHooks;
  private readonly smScale: number;
  private readonly visible: (idx: JsIdx) => boolean;
  private readonly kvCache = new Map<string, { k: Float64Array[]; v: Float64Array[] }>();

  constructor(private readonly args: AttentionArgs) {
    this.shape = checkAttentionArgs(args);
    this.hooks = bindHooks(args, this.shape);
    this.useSoftmax = args.variant?.useSoftmax ?? true;
    this.smScale = args.smScale ?? args.variant?.smScale ?? this.shape.smScale;
    this.visible = attentionMask(args);
  }

  private idx(b: number, qo: number, kv: number, qoHead: number): JsIdx {
    const qoLen = this.shape.qoIndptr[b + 1] - this.shape.qoIndptr[b];
    return { batch: b, qo, kv, qoHead, kvHead: Math.floor(qoHead / this.shape.group), qoLen, kvLen: this.shape.kvLens[b] };
  }

  private vector(data: Float32Array, token: number, heads: number, head: number, hook: JsHooks['queryTransform'], idx: JsIdx): Float64Array {
    const d = this.shape.headDim;
    const raw = Float64Array.from(data.subarray((token * heads + head) * d, (token * heads + head + 1) * d));
    return hook ? raw.map((_, i) => hook(raw, idx, i)) : raw;
  }

  private keysAndValues(b: number, kvHead: number): { k: Float64Array[]; v: Float64Array[] } {
    const key = `${b}:${kvHead}`;
    let cached = this.kvCache.get(key);
    if (!cached) {
      const { k, v } = kvData(this.args.kv);
      const idx = (j: number): JsIdx => ({ ...this.idx(b, 0, j, 0), kvHead });
      const rows = (data: Float32Array, hook: JsHooks['keyTransform']) =>
        Array.from({ length: this.shape.kvLens[b] }, (_, j) => this.vector(data, kvRow(this.shape, b, j), this.shape.numKvHeads, kvHead, hook, idx(j)));
      cached = { k: rows(k, this.hooks.keyTransform), v: rows(v, this.hooks.valueTransform) };
      this.kvCache.set(key, cached);
    }
    return cached;
  }

  /** The state of query `i` of request `b`, head `h`, over the keys of `spans` (disjoint), before `outputTransform`. */
  rowState(b: number, i: number, h: number, spans: readonly KeySpan[]): AttentionState {
    const base = this.idx(b, i, 0, h);
    const q = this.vector(this.args.q, this.shape.qoIndptr[b] + i, this.shape.numQoHeads, h, this.hooks.queryTransform, base);
    const { k, v } = this.keysAndValues(b, base.kvHead);
    const scores: { j: number; s: number }[] = [];
    for (const span of spans) {
      for (let j = span.start; j < span.end; j++) {
        const idx = { ...base, kv: j };
        if (span.masked && !this.visible(idx)) continue;
        let dot = 0;
        for (let d = 0; d < q.length; d++) dot += q[d] * k[j][d];
        const logit = dot * this.smScale;
        scores.push({ j, s: this.hooks.logitsTransform ? this.hooks.logitsTransform(logit, idx) : logit });
      }
    }
    const o = new Float64Array(this.shape.headDim);
    if (scores.length === 0) return { o, lse: -Infinity };
    if (!this.useSoftmax) {
      for (const { j, s } of scores) for (let d = 0; d < o.length; d++) o[d] += s * v[j][d];
      return { o, lse: 0 };
    }
    const max = Math.max(...scores.map(({ s }) => s));
    let sum = 0;
    for (const { j, s } of scores) {
      const w = Math.exp(s - max);
      sum += w;
      for (let d = 0; d < o.length; d++) o[d] += w * v[j][d];
    }
    for (let d = 0; d < o.length; d++) o[d] /= sum;
    return { o, lse: max + Math.log(sum) };
  }

  /** Merges states of disjoint key sets (the contraction) and applies the variant's `outputTransform`. */
  finish(b: number, i: number, h: number, parts: readonly AttentionState[]): AttentionState {
    const merged = mergeStates(parts, { useSoftmax: this.useSoftmax });
    const hook = this.hooks.outputTransform;
    if (!hook) return merged;
    const idx = this.idx(b, i, 0, h);
    return { o: merged.o.map((_, d) => hook(merged.o, idx, d)), lse: merged.lse };
  }

  /** Fills engine-shaped `o` and `lse` from a function giving each row's parts. */
  collect(parts: (b: number, i: number, h: number) => readonly AttentionState[]): { o: Float32Array; lse: Float32Array } {
    const { totalQo, numQoHeads, headDim, qoIndptr, batchSize } = this.shape;
    const o = new Float32Array(totalQo * numQoHeads * headDim);
    const lse = new Float32Array(totalQo * numQoHeads);
    for (let b = 0; b < batchSize; b++) {
      for (let i = 0; i < qoIndptr[b + 1] - qoIndptr[b]; i++) {
        for (let h = 0; h < numQoHeads; h++) {
          const row = (qoIndptr[b] + i) * numQoHeads + h;
          const state = this.finish(b, i, h, parts(b, i, h));
          o.set(state.o, row * headDim);
          lse[row] = state.lse;
        }
      }
    }
    return { o, lse };
  }
}

function matrixOf(layout: BsrLayout, shape: BatchShape, b: number, h: number): BsrMatrix {
  return layout.matrices[layout.heads === 'perHead' ? b * shape.numQoHeads + h : b];
}

/** The key spans block row `r` of a matrix stores: one per nonzero block, masked when partial. */
function blockSpans(matrix: BsrMatrix, r: number): KeySpan[] {
  const spans: KeySpan[] = [];
  for (let n = matrix.indptr[r]; n < matrix.indptr[r + 1]; n++) {
    spans.push({ start: matrix.indices[n] * matrix.C, end: (matrix.indices[n] + 1) * matrix.C, masked: matrix.partial[n] === 1 });
  }
  return spans;
}

/**
 * Reference block-sparse attention: each query row attends only to the keys of its block row's
 * nonzero blocks; the element mask (causal flag and variant `logitsMask`) runs only inside
 * partial blocks. Each block yields a partial state and the states merge by log-sum-exp, as a
 * kernel would. Equals `referenceAttention` when the layout was derived from the same mask.
 */
export function bsrAttention(args: AttentionArgs, layout: BsrLayout): { o: Float32Array; lse: Float32Array } {
  return composableAttention(args, [layout]);
}

/**
 * Composable formats: several BSR layouts over one batch (e.g. a shared prefix in large blocks,
 * each request's suffix in small ones), each computed on its own and merged by log-sum-exp.
 * The layouts must not store the same score twice (an error names the overlapping layout).
 */
export function composableAttention(args: AttentionArgs, layouts: readonly BsrLayout[]): { o: Float32Array; lse: Float32Array } {
  const run = new SpanAttention(args);
  const { shape } = run;
  if (layouts.length === 0) throw new AttentionInputError('layouts', 'needs at least one BSR layout');
  layouts.forEach((layout, n) => checkBsrLayout(layout, shape, layouts.length === 1 ? 'bsr' : `layouts[${n}]`));
  checkDisjoint(layouts, shape);
  return run.collect((b, i, h) =>
    layouts.map((layout) => {
      const matrix = matrixOf(layout, shape, b, h);
      const spans = blockSpans(matrix, Math.floor(i / matrix.R));
      if (spans.length === 0) return run.rowState(b, i, h, []);
      return mergeStates(spans.map((span) => run.rowState(b, i, h, [span])), { useSoftmax: run.useSoftmax });
    }),
  );
}

function checkDisjoint(layouts: readonly BsrLayout[], shape: BatchShape): void {
  if (layouts.length < 2) return;
  for (let b = 0; b < shape.batchSize; b++) {
    const qoLen = shape.qoIndptr[b + 1] - shape.qoIndptr[b];
    const kvLen = shape.kvLens[b];
    for (let h = 0; h < shape.numQoHeads; h++) {
      const owner = new Int32Array(qoLen * kvLen).fill(-1);
      layouts.forEach((layout, n) => {
        const matrix = matrixOf(layout, shape, b, h);
        for (let r = 0; r < matrix.rows / matrix.R; r++) {
          for (const span of blockSpans(matrix, r)) {
            for (let i = r * matrix.R; i < (r + 1) * matrix.R; i++) {
              for (let j = span.start; j < span.end; j++) {
                const was = owner[i * kvLen + j];
                if (was !== -1) {
                  throw new AttentionInputError(`layouts[${n}]`, `stores score (query ${i}, key ${j}) of request ${b}, head ${h}, which layouts[${was}] stores too; composed layouts must be disjoint`);
                }
                owner[i * kvLen + j] = n;
              }
            }
          }
        }
      });
    }
  }
}
