import { expect } from 'vitest';
import { compareArrays, referenceAttention, type AttentionArgs, type AttentionResult } from '#kernels/index.ts';

/**
 * Tolerances for fp32 kernels against the float64 reference, with inputs in [-1, 1).
 * Each output is a convex combination of values in [-1, 1), so fp32 rounding (unit roundoff
 * 6e-8) over a 128-term dot product, the exp and the running rescales stays far below 1e-5;
 * observed errors are around 2e-7. The lse tolerance is relative to max(1, |lse|).
 */
export const O_TOLERANCE = 1e-5;
export const LSE_TOLERANCE = 1e-5;

export function expectMatchesReference(got: AttentionResult, args: AttentionArgs, oTolerance = O_TOLERANCE): void {
  const want = referenceAttention(args);
  const o = compareArrays(got.o, want.o);
  expect(o.mismatchedSpecials, 'o has NaN or infinities').toEqual([]);
  expect(o.maxAbsError, `max |o error| at ${o.worstIndex}`).toBeLessThanOrEqual(oTolerance);
  const lseScale = Math.max(1, ...Array.from(want.lse).filter(Number.isFinite).map(Math.abs));
  const lse = compareArrays(got.lse, want.lse);
  expect(lse.mismatchedSpecials, 'lse differs in -Infinity (masked rows) or has NaN').toEqual([]);
  expect(lse.maxAbsError / lseScale, `max relative lse error at ${lse.worstIndex}`).toBeLessThanOrEqual(LSE_TOLERANCE);
}
