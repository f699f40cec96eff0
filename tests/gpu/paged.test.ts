import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { builtinVariant, compileVariant, pageBatch, randomBatch, type Engine } from '#kernels/index.ts';
import { dawnEngine } from './dawn.ts';
import { expectMatchesReference } from './tolerance.ts';

let engine: Engine;
beforeAll(async () => {
  engine = await dawnEngine();
});
afterAll(() => engine?.destroy());

describe('attention over a paged KV cache on WebGPU equals the reference', () => {
  it('for page sizes 1 to 64, shuffled pages and partial last pages, prefill, append and decode', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          lengths: fc.array(fc.record({ qo: fc.integer({ min: 1, max: 120 }), extra: fc.integer({ min: 0, max: 200 }) }), { minLength: 1, maxLength: 6 }),
          pageSize: fc.constantFrom(1, 3, 8, 16, 64),
          numKvHeads: fc.integer({ min: 1, max: 4 }),
          group: fc.constantFrom(1, 2, 4),
          headDim: fc.constantFrom(64, 128),
          causal: fc.boolean(),
          seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        }),
        async ({ lengths, pageSize, numKvHeads, group, headDim, causal, seed }) => {
          const ragged = randomBatch({
            qoLens: lengths.map((l) => l.qo),
            kvLens: lengths.map((l) => l.qo + l.extra),
            numQoHeads: numKvHeads * group,
            numKvHeads,
            headDim,
            causal,
            seed,
          });
          const paged = pageBatch(ragged, pageSize, seed);
          expectMatchesReference(await engine.run(paged), paged);
        },
      ),
      { numRuns: 12, seed: 11 },
    );
  });

  it('runs a variant (sliding window) over pages of 16', async () => {
    const result = compileVariant(builtinVariant('sliding-window').source);
    if (!result.ok) throw new Error('sliding-window failed to compile');
    const paged = pageBatch(randomBatch({ qoLens: [1, 30], kvLens: [300, 70], numQoHeads: 8, numKvHeads: 2, headDim: 128, seed: 4 }), 16, 4);
    const run = { ...paged, variant: result.variant, vars: { window: 40 } };
    expectMatchesReference(await engine.run(run), run);
  });
});
