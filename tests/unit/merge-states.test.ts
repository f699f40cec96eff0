import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bsrFromMask,
  compareArrays,
  composableAttention,
  mergeStateArrays,
  mergeStates,
  randomBatch,
  referenceAttention,
  type AttentionArgs,
  type AttentionState,
  type BsrLayout,
  type BsrMatrix,
} from '#kernels/index.ts';

const D = 4;

// Merging in float64 in a different order changes the last bits only; 1e-6 leaves room for the
// float32 rounding of whole results compared against the float64 reference.
const TOLERANCE = 1e-6;

function expectStatesClose(a: AttentionState, b: AttentionState): void {
  expect(a.lse === -Infinity).toBe(b.lse === -Infinity);
  if (a.lse !== -Infinity) expect(Math.abs(a.lse - b.lse)).toBeLessThanOrEqual(TOLERANCE);
  for (let d = 0; d < a.o.length; d++) expect(Math.abs(a.o[d] - b.o[d])).toBeLessThanOrEqual(TOLERANCE);
}

function expectSameAttention(got: { o: Float32Array; lse: Float32Array }, expected: { o: Float32Array; lse: Float32Array }): void {
  for (const key of ['o', 'lse'] as const) {
    const c = compareArrays(got[key], expected[key]);
    expect(c.mismatchedSpecials, `${key}: -Infinity/NaN in different places`).toEqual([]);
    expect(c.maxAbsError, `${key} at ${c.worstIndex}`).toBeLessThanOrEqual(TOLERANCE);
  }
}

const MASKED: AttentionState = { o: new Float64Array(D), lse: -Infinity };

/** A partial state: o a convex combination of values in [-1, 1], or a fully masked part. */
const stateArb: fc.Arbitrary<AttentionState> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ o: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: D, maxLength: D }), lse: fc.double({ min: -30, max: 30, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.constant(MASKED) },
);

describe('mergeStates: the contraction by log-sum-exp', () => {
  it('weights two parts by exp(lse): lse = log(e^a + e^b), o = (e^a·o_a + e^b·o_b) / e^lse', () => {
    const merged = mergeStates([
      { o: [1, 0, 0, 0], lse: 0 },
      { o: [0, 4, 0, 0], lse: Math.log(3) },
    ]);
    expect(merged.lse).toBeCloseTo(Math.log(4), 12);
    [0.25, 3, 0, 0].forEach((x, d) => expect(merged.o[d]).toBeCloseTo(x, 12));
  });

  it('stays finite when lse is far beyond exp range (1000 and 1001)', () => {
    const merged = mergeStates([{ o: [2, 2, 2, 2], lse: 1000 }, { o: [0, 0, 0, 0], lse: 1000 }]);
    expect(merged.lse).toBeCloseTo(1000 + Math.log(2), 9);
    expect(Array.from(merged.o)).toEqual([1, 1, 1, 1]);
  });

  it('is commutative and associative within 1e-6', () => {
    fc.assert(
      fc.property(stateArb, stateArb, stateArb, (a, b, c) => {
        const flat = mergeStates([a, b, c]);
        expectStatesClose(mergeStates([mergeStates([a, b]), c]), flat);
        expectStatesClose(mergeStates([a, mergeStates([b, c])]), flat);
        expectStatesClose(mergeStates([c, a, b]), flat);
        expectStatesClose(mergeStates([b, c, a]), flat);
      }),
      { numRuns: 300, seed: 3 },
    );
  });

  it('a fully masked part (o = 0, lse = -Infinity) changes nothing, even when its o holds garbage', () => {
    fc.assert(
      fc.property(stateArb, (a) => {
        const merged = mergeStates([a, MASKED, { o: [NaN, Infinity, -Infinity, NaN], lse: -Infinity }]);
        // Exactly a's state (=== so that -0 and 0 count as equal).
        expect(merged.lse === a.lse).toBe(true);
        expect(Array.from(merged.o).every((x, d) => x === a.o[d])).toBe(true);
      }),
      { numRuns: 100, seed: 4 },
    );
  });

  it('all parts masked → o = 0, lse = -Infinity, no NaN', () => {
    const merged = mergeStates([MASKED, MASKED]);
    expect(merged.lse).toBe(-Infinity);
    expect(Array.from(merged.o)).toEqual([0, 0, 0, 0]);
  });

  it('without softmax sums outputs; lse 0 when any part saw a key', () => {
    const merged = mergeStates([{ o: [1, 2, 3, 4], lse: 0 }, MASKED, { o: [1, 1, 1, 1], lse: 0 }], { useSoftmax: false });
    expect(Array.from(merged.o)).toEqual([2, 3, 4, 5]);
    expect(merged.lse).toBe(0);
    expect(mergeStates([MASKED], { useSoftmax: false }).lse).toBe(-Infinity);
  });

  it('rejects no parts, parts of different widths, and an lse of NaN or +Infinity', () => {
    expect(() => mergeStates([])).toThrow(/^parts: needs at least one state/);
    expect(() => mergeStates([MASKED, { o: [1], lse: 0 }])).toThrow(/^parts: entry 1 has 1 output values but entry 0 has 4/);
    expect(() => mergeStates([{ o: [0, 0, 0, 0], lse: NaN }])).toThrow(/^parts: entry 0 has lse NaN/);
    expect(() => mergeStates([{ o: [0, 0, 0, 0], lse: Infinity }])).toThrow(/^parts: entry 0 has lse Infinity/);
    expect(() => mergeStateArrays([{ o: new Float32Array(8), lse: new Float32Array(2) }, { o: new Float32Array(4), lse: new Float32Array(2) }], 4)).toThrow(
      /^parts\[1\]\.o: has 4 values but 2 rows of headDim 4 need 8/,
    );
  });
});

/** One request per entry, its keys `prefix` shared tokens then its own `suffix`; causal. */
function sharedPrefixBatch(prefix: number, suffixes: number[], qoLens: number[], seed: number) {
  const full = randomBatch({ qoLens, kvLens: suffixes.map((s) => prefix + s), numQoHeads: 2, numKvHeads: 1, headDim: 64, causal: true, seed });
  const rowFloats = 64;
  // Every request's first `prefix` keys and values are request 0's: the prefix is shared.
  const starts = Array.from(full.kv.kvIndptr);
  for (let b = 1; b < suffixes.length; b++) {
    for (const data of [full.kv.k, full.kv.v]) data.copyWithin(starts[b] * rowFloats, 0, prefix * rowFloats);
  }
  return full;
}

/** Picks keys `[from, to)` of every request into a new ragged batch (same queries). */
function keyRange(args: ReturnType<typeof randomBatch>, pick: (b: number, kvLen: number) => [number, number], qoIndptr = args.qoIndptr, causal = args.causal): AttentionArgs {
  const kvIndptr = Array.from(args.kv.kvIndptr);
  const ranges = kvIndptr.slice(0, -1).map((start, b) => pick(b, kvIndptr[b + 1] - start).map((x) => start + x));
  const rows = (data: Float32Array) => Float32Array.from(ranges.flatMap(([from, to]) => Array.from(data.subarray(from * 64, to * 64))));
  const lens = ranges.map(([from, to]) => to - from);
  return { ...args, qoIndptr, causal, kv: { kind: 'ragged', k: rows(args.kv.k), v: rows(args.kv.v), kvIndptr: [0, ...lens.map((_, i) => lens.slice(0, i + 1).reduce((s, n) => s + n, 0))] } };
}

describe('split over key ranges and merged equals unsplit', () => {
  it('cascade: every query against the shared prefix once (one batched request) + each request against its own suffix', () => {
    fc.assert(
      fc.property(
        fc.record({
          prefix: fc.integer({ min: 1, max: 40 }),
          requests: fc.array(fc.record({ qoLen: fc.integer({ min: 1, max: 4 }), extra: fc.integer({ min: 0, max: 20 }) }), { minLength: 1, maxLength: 5 }),
          seed: fc.integer({ min: 1, max: 1e6 }),
        }),
        ({ prefix, requests, seed }) => {
          const qoLens = requests.map((r) => r.qoLen);
          // A suffix at least as long as the queries: causal queries see the whole prefix.
          const suffixes = requests.map((r) => r.qoLen + r.extra);
          const full = sharedPrefixBatch(prefix, suffixes, qoLens, seed);
          const totalQo = qoLens.reduce((s, n) => s + n, 0);
          // Level 1: all queries as one request against request 0's copy of the prefix, no mask.
          const onlyFirst = keyRange(full, (b) => (b === 0 ? [0, prefix] : [0, 0]), undefined, false);
          const prefixArgs = { ...onlyFirst, qoIndptr: [0, totalQo], kv: { ...onlyFirst.kv, kvIndptr: [0, prefix] } } as AttentionArgs;
          const suffixArgs = keyRange(full, (_, kvLen) => [prefix, kvLen]);
          const merged = mergeStateArrays([referenceAttention(prefixArgs), referenceAttention(suffixArgs)], 64);
          expectSameAttention(merged, referenceAttention(full));
        },
      ),
      { numRuns: 30, seed: 8 },
    );
  });

  it('composable formats: the prefix in large blocks and the suffix in small ones, computed apart and merged', () => {
    fc.assert(
      fc.property(
        fc.record({
          prefixBlocks: fc.integer({ min: 1, max: 3 }),
          requests: fc.array(fc.record({ qoBlocks: fc.integer({ min: 1, max: 3 }), extra: fc.integer({ min: 0, max: 6 }) }), { minLength: 1, maxLength: 3 }),
          causal: fc.boolean(),
          seed: fc.integer({ min: 1, max: 1e6 }),
        }),
        ({ prefixBlocks, requests, causal, seed }) => {
          // Large blocks 4 × 8 over the prefix, small 2 × 2 over the suffix; both grids must divide every length.
          const prefix = prefixBlocks * 8;
          const qoLens = requests.map((r) => r.qoBlocks * 4);
          const kvLens = requests.map((r, b) => prefix + Math.ceil(qoLens[b] / 8) * 8 + r.extra * 8);
          const args = randomBatch({ qoLens, kvLens, numQoHeads: 2, numKvHeads: 2, headDim: 64, causal, seed });
          const layoutOver = (R: number, C: number, keep: (kv: number) => boolean): BsrLayout => ({
            R,
            C,
            heads: 'shared',
            matrices: qoLens.map((qoLen, b): BsrMatrix =>
              bsrFromMask((qo, kv) => keep(kv) && (!causal || kv <= qo + kvLens[b] - qoLen), { rows: qoLen, cols: kvLens[b], R, C }),
            ),
          });
          const prefixLayout = layoutOver(4, 8, (kv) => kv < prefix);
          const suffixLayout = layoutOver(2, 2, (kv) => kv >= prefix);
          expectSameAttention(composableAttention(args, [prefixLayout, suffixLayout]), referenceAttention(args));
        },
      ),
      { numRuns: 30, seed: 9 },
    );
  });

  it('rejects composed layouts that store the same score twice', () => {
    const args = randomBatch({ qoLens: [2], kvLens: [4], numQoHeads: 1, numKvHeads: 1, headDim: 64, seed: 1 });
    const all = (R: number, C: number): BsrLayout => ({ R, C, heads: 'shared', matrices: [bsrFromMask(() => true, { rows: 2, cols: 4, R, C })] });
    expect(() => composableAttention(args, [all(2, 4), all(1, 2)])).toThrow(/^layouts\[1\]: stores score \(query 0, key 0\) of request 0, head 0, which layouts\[0\] stores too/);
  });
});
