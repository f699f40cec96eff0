import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { create } from 'webgpu';
import { builtinVariant, checkAttentionArgs, checkPlan, compileVariant, createEngine, decodeHeads, exampleTensors, pageBatch, plan, randomBatch, type AttentionArgs, type CompiledVariant, type Engine, type Plan } from '#kernels/index.ts';
import { dawnEngine } from './dawn.ts';
import { expectMatchesReference } from './tolerance.ts';

let engine: Engine;
beforeAll(async () => {
  engine = await dawnEngine();
});
afterAll(() => engine?.destroy());

function compiled(id: string): CompiledVariant {
  const result = compileVariant(builtinVariant(id).source);
  if (!result.ok) throw new Error(id);
  return result.variant;
}

/** A plan with a forced chunk size on a few workgroups, so workgroups run several items in a row. */
function forcedPlan(args: AttentionArgs, chunk: number, workgroups: number): Plan {
  const shape = checkAttentionArgs(args);
  return plan(shape, { workgroups }, { chunk, itemHeads: decodeHeads(shape.group) });
}

/** Runs a decode batch under the balanced plan, the naive plan and a forced-chunk plan; each must match the reference. */
async function expectEveryPlanMatches(args: AttentionArgs, chunk: number, workgroups: number, tolerance?: number) {
  for (const choice of ['balanced', 'naive', forcedPlan(args, chunk, workgroups)] as const) {
    const result = await engine.run({ ...args, plan: choice });
    expect(result.kernel).toBe('decode');
    expect(result.plan!.kind).toBe(typeof choice === 'string' ? choice : 'balanced');
    checkPlan(checkAttentionArgs(args), result.plan!);
    expectMatchesReference(result, args, tolerance);
  }
}

describe('split-KV decode with its merge equals the reference', () => {
  it('over random decode batches (1-12 requests, KV 0-1200, GQA groups 1-8, ragged or paged) under balanced, naive and forced-chunk plans', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          kvLens: fc.array(fc.integer({ min: 0, max: 1200 }), { minLength: 1, maxLength: 12 }),
          numKvHeads: fc.integer({ min: 1, max: 3 }),
          group: fc.constantFrom(1, 2, 3, 4, 8),
          headDim: fc.constantFrom(64, 128),
          pageSize: fc.constantFrom(0, 1, 16, 64),
          chunk: fc.integer({ min: 1, max: 700 }),
          workgroups: fc.integer({ min: 1, max: 7 }),
          seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        }),
        async ({ kvLens, numKvHeads, group, headDim, pageSize, chunk, workgroups, seed }) => {
          const ragged = randomBatch({ qoLens: kvLens.map(() => 1), kvLens, numQoHeads: numKvHeads * group, numKvHeads, headDim, causal: true, seed });
          await expectEveryPlanMatches(pageSize ? pageBatch(ragged, pageSize, seed) : ragged, chunk, workgroups);
        },
      ),
      { numRuns: 12, seed: 5 },
    );
  });

  it('skips requests without a query, and runs requests whose keys are not a multiple of the chunk', async () => {
    const args = randomBatch({ qoLens: [1, 0, 1, 1, 0], kvLens: [1000, 300, 77, 0, 0], numQoHeads: 8, numKvHeads: 2, headDim: 64, causal: true, seed: 9 });
    const forced = forcedPlan(args, 96, 3);
    // 1000 = 10 chunks of 96 + 40, 77 = one short chunk, and an empty request: per head group.
    expect(forced.items.length).toBe(2 * (11 + 1 + 1));
    expect(Math.max(...forced.loads)).toBeGreaterThan(forced.items[0].cost);
    await expectEveryPlanMatches(args, 96, 3);
  });

  it('rejects a plan of another batch, naming it, and runs plans of 1 or 4 query heads per item', async () => {
    const args = randomBatch({ qoLens: [1, 1], kvLens: [300, 20], numQoHeads: 4, numKvHeads: 1, headDim: 64, seed: 4 });
    const other = randomBatch({ qoLens: [1, 1], kvLens: [300, 21], numQoHeads: 4, numKvHeads: 1, headDim: 64, seed: 4 });
    await expect(engine.run({ ...args, plan: forcedPlan(other, 128, 2) })).rejects.toThrow(/^plan\.items: entry \d+ .* is outside this batch/);
    await expect(engine.run({ ...args, plan: plan(checkAttentionArgs(args), { workgroups: 2 }, { itemHeads: 4 }) })).resolves.toMatchObject({ kernel: 'decode' });
    const oneHead = await engine.run({ ...args, plan: plan(checkAttentionArgs(args), { workgroups: 2 }, { chunk: 64 }) });
    expect(oneHead.plan!.itemHeads).toBe(1);
    expectMatchesReference(oneHead, args);
  });

  it('gives the same results with the portable lane sum (workgroup memory instead of subgroups), several items per workgroup', async () => {
    // Three plan workgroups: each runs several items, so the lane sums' barriers repeat across items.
    const portable = await createEngine({ gpu: create([]), subgroups: false, planWorkgroups: 3 });
    for (const [kvLens, group] of [[[17, 0, 700], 4], [[1200, 5], 3]] as const) {
      const args = randomBatch({ qoLens: kvLens.map(() => 1), kvLens: [...kvLens], numQoHeads: 2 * group, numKvHeads: 2, headDim: 128, seed: 2 });
      const result = await portable.run(args);
      expect(result.kernel).toBe('decode');
      expectMatchesReference(result, args);
    }
    portable.destroy();
  });

  it('merges chunks that saw no key (a sliding window) and requests with no keys without NaN', async () => {
    const args = { ...randomBatch({ qoLens: [1, 1, 1], kvLens: [1100, 0, 700], numQoHeads: 4, numKvHeads: 1, headDim: 64, seed: 3 }), variant: compiled('sliding-window'), vars: { window: 30 } };
    await expectEveryPlanMatches(args, 256, 2);
    const result = await engine.run({ ...args, plan: forcedPlan(args, 256, 2) });
    expect(result.plan!.merges.length).toBeGreaterThan(0);
    expect(result.lse[4]).toBe(-Infinity); // request 1 has no keys
  });

  it.each(['soft-cap', 'alibi', 'flash-sigmoid', 'document-mask', 'tree-mask'])('runs the %s variant on the decode kernel', async (id) => {
    const variant = compiled(id);
    const batch = randomBatch({ qoLens: [1, 1, 1, 1], kvLens: [900, 33, 600, 1], numQoHeads: 8, numKvHeads: 2, headDim: 128, seed: 8 });
    const args = { ...batch, variant, tensors: exampleTensors(variant, checkAttentionArgs(batch), 8) };
    await expectEveryPlanMatches(args, 200, 3);
  });

  it('falls back to the prefill kernel for key transforms (RoPE), and refuses to force decode for them', async () => {
    const args = { ...randomBatch({ qoLens: [1, 1], kvLens: [300, 20], numQoHeads: 2, numKvHeads: 2, headDim: 64, seed: 1 }), variant: compiled('rope') };
    const result = await engine.run(args);
    expect(result.kernel).toBe('prefill');
    expectMatchesReference(result, args, 2e-3);
    await expect(engine.run({ ...args, kernel: 'decode' })).rejects.toThrow(/^kernel: 'decode' needs at most one query per request/);
  });

  it('gives the same answer when a decode batch is forced onto the prefill kernel', async () => {
    const args = randomBatch({ qoLens: [1, 1], kvLens: [513, 77], numQoHeads: 4, numKvHeads: 2, headDim: 128, seed: 6 });
    const decode = await engine.run(args);
    // Without a plan (one workgroup per query tile), and with the one the engine picks for it.
    const launch = await engine.run({ ...args, kernel: 'prefill', plan: 'none' });
    expect(launch.kernel).toBe('prefill-tiled');
    const picked = await engine.run({ ...args, kernel: 'prefill' });
    for (const prefill of [launch, picked]) decode.o.forEach((x, i) => expect(Math.abs(x - prefill.o[i])).toBeLessThan(1e-5));
    await expect(engine.run({ ...args, plan: 'none' })).rejects.toThrow(/^plan: 'none' runs the prefill kernel's launch without a plan; the decode kernel always runs one/);
  });
});

describe('the streaming-read reference', () => {
  it('engine.readBandwidth measures a positive, finite rate on the GPU; the CPU engine refuses with a sentence', async () => {
    const bytesPerSecond = await engine.readBandwidth({ bytes: 4 * 2 ** 20, runs: 3, warmupMs: 0 });
    expect(Number.isFinite(bytesPerSecond)).toBe(true);
    // SwiftShader reads memory on the CPU: well above 10 MB/s, far below a GPU's TB/s.
    expect(bytesPerSecond).toBeGreaterThan(1e7);
    const cpu = await createEngine({ backend: 'cpu' });
    await expect(cpu.readBandwidth()).rejects.toThrow('measuring bandwidth needs the WebGPU backend (timestamp queries)');
  });
});

describe('the prefill tile an engine runs', () => {
  it('engine.prefillTileRows says 64 on SwiftShader (32 KiB of workgroup memory); asking for 128 there is refused with the bytes it needs', async () => {
    expect(engine.prefillTileRows).toBe(64);
    await expect(createEngine({ gpu: create([]), prefillTileRows: 128 })).rejects.toThrow(/^prefillTileRows 128 needs 45568 bytes of workgroup memory; this device has 32768$/);
    expect((await createEngine({ backend: 'cpu' })).prefillTileRows).toBeUndefined();
  });
});
