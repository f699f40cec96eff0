import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { autoPrefillPlan, builtinVariant, checkAttentionArgs, compileVariant, naivePlan, pageBatch, plan, randomBatch, type Engine } from '#kernels/index.ts';
import { dawnEngine } from './dawn.ts';
import { expectMatchesReference } from './tolerance.ts';

let engine: Engine;
beforeAll(async () => {
  engine = await dawnEngine();
});
afterAll(() => engine?.destroy());

describe('plans on the prefill kernel (prefill, append and decode requests mixed)', () => {
  it('split-and-merge equals the reference for random mixed batches under balanced plans with small chunks and naive plans', async () => {
    const sigmoid = compileVariant(builtinVariant('flash-sigmoid').source);
    if (!sigmoid.ok) throw new Error('flash-sigmoid failed to compile');
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          requests: fc.array(fc.record({ qo: fc.integer({ min: 0, max: 150 }), extra: fc.integer({ min: 0, max: 300 }) }), { minLength: 1, maxLength: 5 }),
          causal: fc.boolean(),
          paged: fc.boolean(),
          chunk: fc.constantFrom(64, 128, 192),
          workgroups: fc.integer({ min: 1, max: 9 }),
          naive: fc.boolean(),
          noSoftmax: fc.boolean(),
          seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        }),
        async ({ requests, causal, paged, chunk, workgroups, naive, noSoftmax, seed }) => {
          const ragged = randomBatch({ qoLens: requests.map((r) => r.qo), kvLens: requests.map((r) => r.qo + r.extra), numQoHeads: 4, numKvHeads: 2, headDim: 64, causal, seed });
          const base = paged ? pageBatch(ragged, 16, seed) : ragged;
          const args = noSoftmax ? { ...base, variant: sigmoid.variant } : base;
          const shape = checkAttentionArgs(args);
          const planned = naive ? naivePlan(shape, { workgroups }) : plan(shape, { workgroups }, { chunk, qoTile: 64 });
          const got = await engine.run({ ...args, plan: planned });
          expect(got.kernel).toBe('prefill-planned');
          expect(got.plan).toBe(planned);
          expectMatchesReference(got, args, noSoftmax ? 2e-5 : undefined);
        },
      ),
      { numRuns: 14, seed: 77 },
    );
  });

  it('runs the plan autoPrefillPlan picks when none is asked for (an append onto a long cache), and none for plan: none', async () => {
    const args = randomBatch({ qoLens: [64, 16], kvLens: [4096, 300], numQoHeads: 4, numKvHeads: 2, headDim: 64, causal: true, seed: 12 });
    const shape = checkAttentionArgs(args);
    const picked = autoPrefillPlan(shape, 64);
    expect(picked?.chunkSize).toBeGreaterThan(0);
    const got = await engine.run(args);
    expect(got.kernel).toBe('prefill-planned');
    expect(got.plan).toEqual(picked);
    expectMatchesReference(got, args);
    const launch = await engine.run({ ...args, plan: 'none' });
    expect(launch.kernel).toBe('prefill-tiled');
    expect(launch.plan).toBeUndefined();
    expectMatchesReference(launch, args);
    // A balanced plan asked for is made at the same granularity: items of every head.
    const balanced = await engine.run({ ...args, plan: 'balanced' });
    expect(balanced.plan?.itemHeads).toBe(4);
    expectMatchesReference(balanced, args);
    await expect(engine.run({ ...args, plan: 'fast' as never })).rejects.toThrow(/^plan: must be 'balanced', 'naive', 'none' or a Plan from plan\(\), got fast/);
  });

  it('rejects plans whose chunks cut a 64-key tile, or whose heads are split differently', async () => {
    const args = randomBatch({ qoLens: [70, 1], kvLens: [300, 90], numQoHeads: 2, numKvHeads: 1, headDim: 64, causal: true, seed: 3 });
    const shape = checkAttentionArgs(args);
    await expect(engine.run({ ...args, plan: plan(shape, { workgroups: 4 }, { chunk: 100 }) })).rejects.toThrow(/plan\.items: entry \d+ covers keys 0\.\.100; the prefill kernel reads whole 64-key tiles/);
    const mixed = plan(shape, { workgroups: 4 }, { chunk: 128 });
    const other = plan(shape, { workgroups: 4 }, { chunk: 256 });
    const spliced = { ...mixed, items: [...mixed.items.filter((i) => i.qoHead === 0), ...other.items.filter((i) => i.qoHead === 1).map((i, n) => ({ ...i, id: mixed.items.length + n }))] };
    await expect(engine.run({ ...args, plan: spliced })).rejects.toThrow(/plan\.items/);
  });
});
