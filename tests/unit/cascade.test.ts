import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AttentionInputError, builtinVariant, cascadeLevels, foldQueryHeads, compareArrays, compileVariant, mergeStateArrays, pageBatch, randomBatch, referenceAttention, sharedPrefixBatch,
} from '#kernels/index.ts';

describe('cascadeLevels', () => {
  it('splits a shared-prefix batch into levels whose merged states equal full attention (decode and append, GQA, causal or not)', () => {
    fc.assert(
      fc.property(
        fc.record({
          pageSize: fc.constantFrom(1, 4, 16),
          prefixPages: fc.integer({ min: 1, max: 4 }),
          requests: fc.array(fc.record({ qo: fc.integer({ min: 0, max: 3 }), extra: fc.integer({ min: 0, max: 40 }) }), { minLength: 1, maxLength: 5 }),
          causal: fc.boolean(),
          seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        }),
        ({ pageSize, prefixPages, requests, causal, seed }) => {
          const prefixLen = prefixPages * pageSize;
          const args = sharedPrefixBatch({ prefixLen, suffixLens: requests.map((r) => r.qo + r.extra), qoLens: requests.map((r) => r.qo), numQoHeads: 4, numKvHeads: 2, headDim: 64, pageSize, causal, seed });
          const levels = cascadeLevels(args, prefixLen);
          const merged = mergeStateArrays([referenceAttention(levels.prefix), referenceAttention(levels.suffix)], 64);
          const want = referenceAttention(args);
          expect(compareArrays(merged.o, want.o).maxAbsError).toBeLessThan(1e-6);
          const lse = compareArrays(merged.lse, want.lse);
          expect(lse.mismatchedSpecials).toEqual([]);
          expect(lse.maxAbsError).toBeLessThan(1e-5);
        },
      ),
      { numRuns: 40, seed: 4 },
    );
  });

  it('folds each KV head’s query heads into rows without changing any row’s attention', () => {
    const args = sharedPrefixBatch({ prefixLen: 32, suffixLens: [3, 9, 0], numQoHeads: 6, numKvHeads: 2, headDim: 64, pageSize: 8, seed: 12 });
    const { prefix } = cascadeLevels(args, 32);
    const folded = foldQueryHeads(prefix);
    expect(folded.numQoHeads).toBe(2);
    const want = referenceAttention(prefix);
    const got = referenceAttention(folded);
    // Folded row t·3 + j, head g is query t's head 3g + j.
    for (let t = 0; t < 3; t++) {
      for (let h = 0; h < 6; h++) {
        const from = ((t * 3 + (h % 3)) * 2 + Math.floor(h / 3)) * 64;
        expect(compareArrays(got.o.subarray(from, from + 64), want.o.subarray((t * 6 + h) * 64, (t * 6 + h + 1) * 64)).maxAbsError).toBeLessThan(1e-6);
      }
    }
  });

  it('rejects what it cannot cascade, naming the argument', () => {
    const ragged = randomBatch({ qoLens: [1, 1], kvLens: [40, 50], numQoHeads: 2, numKvHeads: 1, headDim: 64, causal: true, seed: 1 });
    expect(() => cascadeLevels(ragged, 16)).toThrow(/kv: cascade needs a paged KV cache/);
    const copies = sharedPrefixBatch({ prefixLen: 16, suffixLens: [24, 34], numQoHeads: 2, numKvHeads: 1, headDim: 64, pageSize: 8, copies: true });
    expect(() => cascadeLevels(copies, 16)).toThrow(/kv\.kvIndices: entry 5 \(request 1, page 0\) is page 10/);
    expect(compareArrays(referenceAttention(copies).o, referenceAttention({ ...copies, kv: sharedPrefixBatch({ prefixLen: 16, suffixLens: [24, 34], numQoHeads: 2, numKvHeads: 1, headDim: 64, pageSize: 8 }).kv }).o).maxAbsError, 'copies hold the same values').toBe(0);
    const shared = sharedPrefixBatch({ prefixLen: 16, suffixLens: [24, 34], numQoHeads: 2, numKvHeads: 1, headDim: 64, pageSize: 8 });
    expect(() => cascadeLevels(shared, 12)).toThrow(/prefixLen: must be a positive multiple of the page size 8/);
    expect(() => cascadeLevels(shared, 48)).toThrow(/request 0 has only 40 keys/);
    const soft = compileVariant(builtinVariant('soft-cap').source);
    if (!soft.ok) throw new Error('soft-cap failed to compile');
    expect(() => cascadeLevels({ ...shared, variant: soft.variant }, 16)).toThrow(AttentionInputError);
    const prefill = sharedPrefixBatch({ prefixLen: 16, suffixLens: [24, 34], qoLens: [30, 1], numQoHeads: 2, numKvHeads: 1, headDim: 64, pageSize: 8 });
    expect(() => cascadeLevels(prefill, 16)).toThrow(/request 0's first query would not see the whole prefix/);
  });
});
