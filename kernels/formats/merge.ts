import { AttentionInputError } from '../errors.ts';

/**
 * The attention state of one query row and head over some set of keys: the normalized output `o`
 * and `lse = log Σ exp(s)` (natural log) over those keys. A part that saw no key is `o = 0`,
 * `lse = -Infinity`. Without softmax (`useSoftmax: false`) `o` is a plain sum and `lse` is 0 when
 * the part saw a key.
 */
export interface AttentionState {
  o: ArrayLike<number>;
  lse: number;
}

export interface MergeOptions {
  /** Default true. With false the parts' outputs are summed (FlashSigmoid has no normalization). */
  useSoftmax?: boolean;
}

/**
 * The contraction: merges partial states of disjoint key sets into the state over their union,
 *   lse = log Σ exp(lse_i),   o = Σ exp(lse_i − lse) · o_i,
 * computed against the largest lse_i so nothing overflows. A part with lse = −∞ has weight 0 and is
 * never multiplied (0 · NaN would leak), so a fully masked part changes nothing; if every part is
 * masked the result is o = 0, lse = −∞. Associative and commutative up to rounding.
 */
export function mergeStates(parts: readonly AttentionState[], options: MergeOptions = {}): { o: Float64Array; lse: number } {
  if (parts.length === 0) throw new AttentionInputError('parts', 'needs at least one state to merge');
  const headDim = parts[0].o.length;
  parts.forEach((part, i) => {
    if (part.o.length !== headDim) {
      throw new AttentionInputError('parts', `entry ${i} has ${part.o.length} output values but entry 0 has ${headDim}`);
    }
    if (Number.isNaN(part.lse) || part.lse === Infinity) {
      throw new AttentionInputError('parts', `entry ${i} has lse ${part.lse}; a state's lse is finite or -Infinity`);
    }
  });
  const o = new Float64Array(headDim);
  const seen = parts.filter((part) => part.lse !== -Infinity);
  if (seen.length === 0) return { o, lse: -Infinity };
  if (options.useSoftmax === false) {
    for (const part of seen) for (let d = 0; d < headDim; d++) o[d] += part.o[d];
    return { o, lse: 0 };
  }
  const max = Math.max(...seen.map((part) => part.lse));
  let sum = 0;
  for (const part of seen) {
    const w = Math.exp(part.lse - max);
    sum += w;
    for (let d = 0; d < headDim; d++) o[d] += w * part.o[d];
  }
  for (let d = 0; d < headDim; d++) o[d] /= sum;
  return { o, lse: max + Math.log(sum) };
}

/** Whole attention results laid out as the engine returns them: `o` `[rows, heads, headDim]`, `lse` `[rows, heads]`. */
export interface StateArrays {
  o: Float32Array | Float64Array;
  lse: Float32Array | Float64Array;
}

/**
 * Merges several whole results row by row (e.g. cascade: attention to a shared prefix and to each
 * request's own suffix, computed separately). Every part must have the same shape.
 */
export function mergeStateArrays(parts: readonly StateArrays[], headDim: number, options: MergeOptions = {}): { o: Float32Array; lse: Float32Array } {
  if (parts.length === 0) throw new AttentionInputError('parts', 'needs at least one result to merge');
  const rows = parts[0].lse.length;
  parts.forEach((part, i) => {
    if (part.lse.length !== rows) throw new AttentionInputError(`parts[${i}].lse`, `has ${part.lse.length} rows but parts[0] has ${rows}`);
    if (part.o.length !== rows * headDim) {
      throw new AttentionInputError(`parts[${i}].o`, `has ${part.o.length} values but ${rows} rows of headDim ${headDim} need ${rows * headDim}`);
    }
  });
  const o = new Float32Array(rows * headDim);
  const lse = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const merged = mergeStates(
      parts.map((part) => ({ o: part.o.subarray(r * headDim, (r + 1) * headDim), lse: part.lse[r] })),
      options,
    );
    o.set(merged.o, r * headDim);
    lse[r] = merged.lse;
  }
  return { o, lse };
}
