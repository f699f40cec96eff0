import { AttentionInputError } from '../errors.ts';
import { causalVisible, checkAttentionArgs, kvData, kvRow, type BatchShape } from '../formats/batch.ts';
import type { AttentionArgs, AttentionResult } from '../types.ts';
import type { JsHooks, JsIdx, RangeReport } from '../variant/compile.ts';
import { resolveVariantInputs } from '../variant/inputs.ts';

/**
 * The specification of attention: float64 accumulation, two passes (max, then sum), no tiling.
 * A variant's hooks run as the JS its compiler emitted from the same source as the WGSL.
 * Every GPU kernel is tested against this function. It is dense attention: arguments that choose
 * which blocks run (`bsr`, `formats`) are refused rather than ignored (`bsrAttention` and
 * `composableAttention` are their references); `sharedPrefix` only says how to compute the same
 * result, so it is read as dense.
 */
export function referenceAttention(args: AttentionArgs): AttentionResult {
  for (const name of ['bsr', 'formats'] as const) {
    if (args[name] !== undefined) {
      throw new AttentionInputError(name, `is set, but referenceAttention computes dense attention over every key; use ${name === 'bsr' ? 'bsrAttention(args, args.bsr)' : 'composableAttention(args, args.formats)'} (or an engine's run) for the blocks it lists, or leave it out for the dense result`);
    }
  }
  const spec = new ReferenceRun(args);
  const { totalQo, numQoHeads, headDim } = spec.shape;
  const o = new Float32Array(totalQo * numQoHeads * headDim);
  const lse = new Float32Array(totalQo * numQoHeads);
  for (let b = 0; b < spec.shape.batchSize; b++) {
    const qoLen = spec.shape.qoIndptr[b + 1] - spec.shape.qoIndptr[b];
    for (let i = 0; i < qoLen; i++) {
      for (let h = 0; h < numQoHeads; h++) {
        const row = (spec.shape.qoIndptr[b] + i) * numQoHeads + h;
        const result = spec.row(b, i, h);
        o.set(result.o, row * headDim);
        lse[row] = result.lse;
      }
    }
  }
  return { o, lse, rangeReports: spec.reports };
}

/** Per-key weights `[qoLen, kvLen]` of one request and query head, for drawing: softmax weights, or the
 * transformed scores themselves when the variant has no softmax; 0 where masked. */
export function referenceWeights(
  args: AttentionArgs,
  request: number,
  qoHead: number,
): { weights: Float64Array; visible: Uint8Array; qoLen: number; kvLen: number } {
  const spec = new ReferenceRun(args);
  if (!Number.isInteger(request) || request < 0 || request >= spec.shape.batchSize) {
    throw new RangeError(`request ${request} is outside the batch of ${spec.shape.batchSize}`);
  }
  if (!Number.isInteger(qoHead) || qoHead < 0 || qoHead >= spec.shape.numQoHeads) {
    throw new RangeError(`qoHead ${qoHead} is outside 0..${spec.shape.numQoHeads - 1}`);
  }
  const qoLen = spec.shape.qoIndptr[request + 1] - spec.shape.qoIndptr[request];
  const kvLen = spec.shape.kvLens[request];
  const weights = new Float64Array(qoLen * kvLen);
  const visible = new Uint8Array(qoLen * kvLen);
  for (let i = 0; i < qoLen; i++) {
    const { weights: w, scores } = spec.rowWeights(request, i, qoHead);
    weights.set(w, i * kvLen);
    scores.forEach((s, j) => (visible[i * kvLen + j] = s === null ? 0 : 1));
  }
  return { weights, visible, qoLen, kvLen };
}

/** One reference evaluation: checked arguments, bound hooks, and transformed K/V rows cached per request. */
class ReferenceRun {
  readonly shape: BatchShape;
  readonly reports: RangeReport[];
  private readonly hooks: JsHooks;
  private readonly useSoftmax: boolean;
  private readonly smScale: number;
  private readonly kvCache = new Map<string, { k: Float64Array[]; v: Float64Array[] }>();

  constructor(private readonly args: AttentionArgs) {
    this.shape = checkAttentionArgs(args);
    const variant = args.variant;
    if (variant) {
      const inputs = resolveVariantInputs(variant, args.vars, args.tensors);
      const bound = variant.instantiate({ ...inputs, headDim: this.shape.headDim });
      this.hooks = bound.hooks;
      this.reports = bound.reports;
    } else {
      this.hooks = {};
      this.reports = [];
    }
    this.useSoftmax = variant?.useSoftmax ?? true;
    this.smScale = args.smScale ?? variant?.smScale ?? this.shape.smScale;
  }

  private idx(b: number, qo: number, kv: number, qoHead: number, kvHead: number): JsIdx {
    const qoLen = this.shape.qoIndptr[b + 1] - this.shape.qoIndptr[b];
    const kvLen = this.shape.kvLens[b];
    return { batch: b, qo, kv, qoHead, kvHead, qoLen, kvLen };
  }

  /** Reads one head vector as float64, through an element-wise vector hook when the variant has one. */
  private vector(data: Float32Array, token: number, heads: number, head: number, hook: JsHooks['queryTransform'], idx: JsIdx): Float64Array {
    const { headDim } = this.shape;
    const raw = Float64Array.from(data.subarray((token * heads + head) * headDim, (token * heads + head + 1) * headDim));
    if (!hook) return raw;
    return raw.map((_, d) => hook(raw, idx, d));
  }

  private keysAndValues(b: number, kvHead: number): { k: Float64Array[]; v: Float64Array[] } {
    const key = `${b}:${kvHead}`;
    let cached = this.kvCache.get(key);
    if (!cached) {
      const { numKvHeads } = this.shape;
      const { k, v } = kvData(this.args.kv);
      const rows = (data: Float32Array, hook: JsHooks['keyTransform']) =>
        Array.from({ length: this.shape.kvLens[b] }, (_, j) =>
          this.vector(data, kvRow(this.shape, b, j), numKvHeads, kvHead, hook, this.idx(b, 0, j, 0, kvHead)),
        );
      cached = { k: rows(k, this.hooks.keyTransform), v: rows(v, this.hooks.valueTransform) };
      this.kvCache.set(key, cached);
    }
    return cached;
  }

  /** Transformed scores of one query row; `null` where the key is masked. */
  private scores(b: number, i: number, h: number): (number | null)[] {
    const kvHead = Math.floor(h / this.shape.group);
    const q = this.vector(this.args.q, this.shape.qoIndptr[b] + i, this.shape.numQoHeads, h, this.hooks.queryTransform, this.idx(b, i, 0, h, kvHead));
    const { k } = this.keysAndValues(b, kvHead);
    const { qoLen, kvLen } = this.idx(b, i, 0, h, kvHead);
    return k.map((key, j) => {
      if (this.shape.causal && !causalVisible(i, j, qoLen, kvLen)) return null;
      const idx = this.idx(b, i, j, h, kvHead);
      if (this.hooks.logitsMask && !this.hooks.logitsMask(idx)) return null;
      let dot = 0;
      for (let d = 0; d < key.length; d++) dot += q[d] * key[d];
      const logit = dot * this.smScale;
      return this.hooks.logitsTransform ? this.hooks.logitsTransform(logit, idx) : logit;
    });
  }

  /** What each key contributes: softmax weights, or the raw transformed scores without softmax. */
  rowWeights(b: number, i: number, h: number): { weights: Float64Array; scores: (number | null)[]; lse: number } {
    const scores = this.scores(b, i, h);
    const weights = new Float64Array(scores.length);
    const anyVisible = scores.some((s) => s !== null);
    if (!this.useSoftmax) {
      scores.forEach((s, j) => (weights[j] = s ?? 0));
      return { weights, scores, lse: anyVisible ? 0 : -Infinity };
    }
    let max = -Infinity;
    for (const s of scores) if (s !== null && s > max) max = s;
    if (!anyVisible) return { weights, scores, lse: -Infinity };
    let sum = 0;
    scores.forEach((s, j) => {
      weights[j] = s === null ? 0 : Math.exp(s - max);
      sum += weights[j];
    });
    for (let j = 0; j < weights.length; j++) weights[j] /= sum;
    return { weights, scores, lse: max + Math.log(sum) };
  }

  row(b: number, i: number, h: number): { o: Float64Array; lse: number } {
    const kvHead = Math.floor(h / this.shape.group);
    const { weights, lse } = this.rowWeights(b, i, h);
    const { v } = this.keysAndValues(b, kvHead);
    const o = new Float64Array(this.shape.headDim);
    weights.forEach((w, j) => {
      if (w === 0) return;
      for (let d = 0; d < o.length; d++) o[d] += w * v[j][d];
    });
    const hook = this.hooks.outputTransform;
    if (!hook) return { o, lse };
    const idx = this.idx(b, i, 0, h, kvHead);
    return { o: o.map((_, d) => hook(o, idx, d)), lse };
  }
}
