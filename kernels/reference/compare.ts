export interface Comparison {
  /** Largest |got - expected| over finite pairs. */
  maxAbsError: number;
  /** Index of that largest error (-1 when the arrays are empty). */
  worstIndex: number;
  /** Indices where one side is finite and the other is not, or where either is NaN. */
  mismatchedSpecials: number[];
}

/**
 * Compares two arrays element by element. Infinities must match exactly (a fully masked row has
 * lse = -Infinity on both sides); NaN never matches.
 */
export function compareArrays(got: ArrayLike<number>, expected: ArrayLike<number>): Comparison {
  if (got.length !== expected.length) {
    throw new RangeError(`cannot compare arrays of lengths ${got.length} and ${expected.length}`);
  }
  let maxAbsError = 0;
  let worstIndex = got.length > 0 ? 0 : -1;
  const mismatchedSpecials: number[] = [];
  for (let i = 0; i < got.length; i++) {
    const a = got[i];
    const b = expected[i];
    if (Number.isFinite(a) && Number.isFinite(b)) {
      const error = Math.abs(a - b);
      if (error > maxAbsError) {
        maxAbsError = error;
        worstIndex = i;
      }
    } else if (Number.isNaN(a) || Number.isNaN(b) || a !== b) {
      mismatchedSpecials.push(i);
    }
  }
  return { maxAbsError, worstIndex, mismatchedSpecials };
}
