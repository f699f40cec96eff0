import { expect } from 'vitest';
import { compareArrays, referenceAttention, type AttentionArgs, type AttentionResult } from '#kernels/index.ts';

/**
 * Tolerances for fp32 kernels against the float64 reference, with inputs in [-1, 1).
 * With softmax each output is a convex combination of values in [-1, 1), so fp32 rounding (unit
 * roundoff 6e-8) over a 128-term dot product, the exp and the running rescales stays far below
 * 1e-5; observed errors are around 2e-7. Without softmax (FlashSigmoid) an output is a sum of up
 * to kvLen terms, so the o tolerance is relative to max(1, max |o|); lse is relative to max(1, |lse|).
 */
export const O_TOLERANCE = 1e-5;
export const LSE_TOLERANCE = 1e-5;

/** `tolerance` overrides both the o and the lse tolerance, for variants whose math is less exact on GPUs. */
export function expectMatchesReference(got: AttentionResult, args: AttentionArgs, tolerance?: number): void {
  const oTolerance = tolerance ?? O_TOLERANCE;
  const lseTolerance = tolerance ?? LSE_TOLERANCE;
  const want = referenceAttention(args);
  const o = compareArrays(got.o, want.o);
  expect(o.mismatchedSpecials, 'o has NaN or infinities').toEqual([]);
  const oScale = want.o.reduce((max, x) => Math.max(max, Math.abs(x)), 1);
  expect(o.maxAbsError / oScale, `max relative |o error| at ${o.worstIndex}`).toBeLessThanOrEqual(oTolerance);
  const lseScale = want.lse.reduce((max, x) => (Number.isFinite(x) ? Math.max(max, Math.abs(x)) : max), 1);
  const lse = compareArrays(got.lse, want.lse);
  expect(lse.mismatchedSpecials, 'lse differs in -Infinity (masked rows) or has NaN').toEqual([]);
  expect(lse.maxAbsError / lseScale, `max relative lse error at ${lse.worstIndex}`).toBeLessThanOrEqual(lseTolerance);
}
