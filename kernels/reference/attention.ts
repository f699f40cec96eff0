import { causalVisible, checkAttentionArgs, type BatchShape } from '../formats/ragged.ts';
import type { AttentionArgs, AttentionResult } from '../types.ts';

/**
 * The specification of attention: float64 accumulation, two passes (max, then sum), no tiling.
 * Every GPU kernel is tested against this function.
 */
export function referenceAttention(args: AttentionArgs): AttentionResult {
  const shape = checkAttentionArgs(args);
  const { totalQo, numQoHeads, numKvHeads, headDim } = shape;
  const o = new Float32Array(totalQo * numQoHeads * headDim);
  const lse = new Float32Array(totalQo * numQoHeads);
  const acc = new Float64Array(headDim);
  for (let b = 0; b < shape.batchSize; b++) {
    const qoLen = shape.qoIndptr[b + 1] - shape.qoIndptr[b];
    for (let i = 0; i < qoLen; i++) {
      for (let h = 0; h < numQoHeads; h++) {
        const row = (shape.qoIndptr[b] + i) * numQoHeads + h;
        const softmax = rowSoftmax(rowScores(args, shape, b, i, h));
        lse[row] = softmax.lse;
        acc.fill(0);
        const kvHead = Math.floor(h / shape.group);
        softmax.weights.forEach((p, j) => {
          if (p === 0) return;
          const vBase = ((shape.kvIndptr[b] + j) * numKvHeads + kvHead) * headDim;
          for (let d = 0; d < headDim; d++) acc[d] += p * args.kv.v[vBase + d];
        });
        o.set(acc, row * headDim);
      }
    }
  }
  return { o, lse };
}

/** Scaled scores of one query row against its request's keys; `-Infinity` where masked. */
function rowScores(args: AttentionArgs, shape: BatchShape, b: number, i: number, h: number): Float64Array {
  const { headDim } = shape;
  const qoLen = shape.qoIndptr[b + 1] - shape.qoIndptr[b];
  const kvLen = shape.kvIndptr[b + 1] - shape.kvIndptr[b];
  const kvHead = Math.floor(h / shape.group);
  const qBase = ((shape.qoIndptr[b] + i) * shape.numQoHeads + h) * headDim;
  const scores = new Float64Array(kvLen);
  for (let j = 0; j < kvLen; j++) {
    if (shape.causal && !causalVisible(i, j, qoLen, kvLen)) {
      scores[j] = -Infinity;
      continue;
    }
    const kBase = ((shape.kvIndptr[b] + j) * shape.numKvHeads + kvHead) * headDim;
    let dot = 0;
    for (let d = 0; d < headDim; d++) dot += args.q[qBase + d] * args.kv.k[kBase + d];
    scores[j] = dot * shape.smScale;
  }
  return scores;
}

/** Softmax of one row of scores; a row with no visible key has all-zero weights and `lse = -Infinity`. */
function rowSoftmax(scores: Float64Array): { weights: Float64Array; lse: number } {
  let max = -Infinity;
  for (const s of scores) if (s > max) max = s;
  const weights = new Float64Array(scores.length);
  if (max === -Infinity) return { weights, lse: -Infinity };
  let sum = 0;
  scores.forEach((s, j) => {
    weights[j] = Math.exp(s - max);
    sum += weights[j];
  });
  for (let j = 0; j < weights.length; j++) weights[j] /= sum;
  return { weights, lse: max + Math.log(sum) };
}

/** Softmax weights `[qoLen, kvLen]` of one request and query head (zeros where masked), for drawing. */
export function referenceWeights(
  args: AttentionArgs,
  request: number,
  qoHead: number,
): { weights: Float64Array; qoLen: number; kvLen: number } {
  const shape = checkAttentionArgs(args);
  if (!Number.isInteger(request) || request < 0 || request >= shape.batchSize) {
    throw new RangeError(`request ${request} is outside the batch of ${shape.batchSize}`);
  }
  if (!Number.isInteger(qoHead) || qoHead < 0 || qoHead >= shape.numQoHeads) {
    throw new RangeError(`qoHead ${qoHead} is outside 0..${shape.numQoHeads - 1}`);
  }
  const qoLen = shape.qoIndptr[request + 1] - shape.qoIndptr[request];
  const kvLen = shape.kvIndptr[request + 1] - shape.kvIndptr[request];
  const weights = new Float64Array(qoLen * kvLen);
  for (let i = 0; i < qoLen; i++) {
    weights.set(rowSoftmax(rowScores(args, shape, request, i, qoHead)).weights, i * kvLen);
  }
  return { weights, qoLen, kvLen };
}
