import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AttentionInputError,
  bsrAttention,
  bsrFromBlocks,
  bsrLayoutFromArgs,
  builtinVariant,
  compareArrays,
  compileVariant,
  pageBatch,
  randomBatch,
  seededRandom,
  type AttentionResult,
  type BsrLayout,
  type CompiledVariant,
  type Engine,
} from '#kernels/index.ts';
import { dawnEngine } from './dawn.ts';
import { expectMatchesReference, LSE_TOLERANCE, O_TOLERANCE } from './tolerance.ts';

let engine: Engine;
beforeAll(async () => {
  engine = await dawnEngine();
});
afterAll(() => engine?.destroy());

function variant(id: string): CompiledVariant {
  const result = compileVariant(builtinVariant(id).source);
  if (!result.ok) throw new Error(`built-in ${id} failed to compile`);
  return result.variant;
}

/** Block-sparse GPU output against the float64 block-sparse reference (same tolerances as the dense kernels). */
function expectMatchesBsr(got: AttentionResult, want: { o: Float32Array; lse: Float32Array }): void {
  const o = compareArrays(got.o, want.o);
  expect(o.mismatchedSpecials, 'o has NaN or infinities').toEqual([]);
  expect(o.maxAbsError, `max |o error| at ${o.worstIndex}`).toBeLessThanOrEqual(O_TOLERANCE);
  const lse = compareArrays(got.lse, want.lse);
  expect(lse.mismatchedSpecials, 'lse differs in -Infinity (rows with no stored score) or has NaN').toEqual([]);
  const scale = want.lse.reduce((max, x) => (Number.isFinite(x) ? Math.max(max, Math.abs(x)) : max), 1);
  expect(lse.maxAbsError / scale, `max relative lse error at ${lse.worstIndex}`).toBeLessThanOrEqual(LSE_TOLERANCE);
}

describe('block-sparse attention on WebGPU', () => {
  it('equals the block-sparse reference for random layouts: any block size, full and partial blocks, shared or per head, causal or not', async () => {
    const sliding = variant('sliding-window');
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          R: fc.constantFrom(1, 16, 32, 64, 128),
          C: fc.constantFrom(8, 16, 64, 96),
          requests: fc.array(fc.record({ qoBlocks: fc.integer({ min: 1, max: 3 }), kvBlocks: fc.integer({ min: 1, max: 4 }) }), { minLength: 1, maxLength: 3 }),
          perHead: fc.boolean(),
          density: fc.double({ min: 0.1, max: 0.9, noNaN: true }),
          causal: fc.boolean(),
          masked: fc.boolean(),
          seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        }),
        async ({ R, C, requests, perHead, density, causal, masked, seed }) => {
          const args = {
            ...randomBatch({ qoLens: requests.map((r) => r.qoBlocks * R), kvLens: requests.map((r) => r.kvBlocks * C), numQoHeads: 4, numKvHeads: 2, headDim: 64, causal, seed }),
            ...(masked ? { variant: sliding, vars: { window: 40 } } : {}),
          };
          const random = seededRandom(seed);
          const matrices = requests.flatMap((r) =>
            Array.from({ length: perHead ? 4 : 1 }, () => {
              const blocks = [];
              for (let row = 0; row < r.qoBlocks; row++) for (let col = 0; col < r.kvBlocks; col++) if (random() < density) blocks.push({ row, col, partial: random() < 0.5 });
              return bsrFromBlocks({ rows: r.qoBlocks * R, cols: r.kvBlocks * C, R, C, blocks });
            }),
          );
          const bsr: BsrLayout = { R, C, heads: perHead ? 'perHead' : 'shared', matrices };
          const got = await engine.run({ ...args, bsr });
          expect(got.kernel).toBe('prefill-bsr');
          expectMatchesBsr(got, bsrAttention(args, bsr));
        },
      ),
      { numRuns: 10, seed: 26 },
    );
  });

  it('with the layout of the batch’s own mask, equals dense masked attention, on ragged and paged KV with head dim 128', async () => {
    const ragged = { ...randomBatch({ qoLens: [128, 64], kvLens: [256, 192], numQoHeads: 4, numKvHeads: 1, headDim: 128, causal: true, seed: 9 }), variant: variant('sliding-window'), vars: { window: 70 } };
    for (const args of [ragged, pageBatch(ragged, 16, 4)]) {
      const bsr = bsrLayoutFromArgs(args, 64, 64, 'shared');
      const stats = bsr.matrices.map((m) => m.indices.length);
      expect(stats.reduce((a, b) => a + b, 0), 'the window skips blocks').toBeLessThan(2 * 4 + 1 * 3);
      const got = await engine.run({ ...args, bsr });
      expect(got.kernel).toBe('prefill-bsr');
      expectMatchesReference(got, args);
    }
  });

  it('rejects a layout that does not fit the batch, and variants with vector transforms, with errors naming the argument', async () => {
    const args = randomBatch({ qoLens: [64], kvLens: [64], numQoHeads: 1, numKvHeads: 1, headDim: 64, seed: 2 });
    const wrong: BsrLayout = { R: 64, C: 64, heads: 'shared', matrices: [bsrFromBlocks({ rows: 64, cols: 128, R: 64, C: 64, blocks: [] })] };
    await expect(engine.run({ ...args, bsr: wrong })).rejects.toThrow(/bsr\.matrices\[0\]\.rows/);
    const bsr: BsrLayout = { R: 64, C: 64, heads: 'shared', matrices: [bsrFromBlocks({ rows: 64, cols: 64, R: 64, C: 64, blocks: [{ row: 0, col: 0 }] })] };
    await expect(engine.run({ ...args, bsr, variant: variant('rope') })).rejects.toThrow(AttentionInputError);
    await expect(engine.run({ ...args, bsr, kernel: 'decode' })).rejects.toThrow(/'decode' does not run block-sparse/);
  });
});
