import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { create } from 'webgpu';
import { AttentionInputError, createEngine, GpuError, randomBatch, type Engine } from '#kernels/index.ts';
import { dawnEngine } from './dawn.ts';
import { expectMatchesReference } from './tolerance.ts';

let engine: Engine;
beforeAll(async () => {
  engine = await dawnEngine();
});
afterAll(() => engine?.destroy());

const batchArbitrary = fc
  .record({
    lengths: fc.array(fc.record({ qo: fc.integer({ min: 1, max: 300 }), kv: fc.integer({ min: 1, max: 300 }) }), {
      minLength: 1,
      maxLength: 8,
    }),
    numKvHeads: fc.integer({ min: 1, max: 8 }),
    group: fc.constantFrom(1, 2, 4),
    headDim: fc.constantFrom(64, 128),
    causal: fc.boolean(),
    seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  })
  // heads 1-8 in all: group × numKvHeads ≤ 8
  .filter(({ numKvHeads, group }) => numKvHeads * group <= 8)
  .map(({ lengths, numKvHeads, group, headDim, causal, seed }) =>
    randomBatch({
      qoLens: lengths.map((l) => l.qo),
      kvLens: lengths.map((l) => l.kv),
      numQoHeads: numKvHeads * group,
      numKvHeads,
      headDim,
      causal,
      seed,
    }),
  );

describe('ragged attention on WebGPU equals the reference', () => {
  it('over random batches: 1-8 requests, lengths 1-300, 1-8 heads in GQA groups 1/2/4, head dims 64 and 128, causal or not', async () => {
    await fc.assert(
      fc.asyncProperty(batchArbitrary, async (args) => {
        expectMatchesReference(await engine.run(args), args);
      }),
      { numRuns: 24, seed: 20261126 },
    );
  });

  it('runs batches without vector hooks on the register-tiled kernel, and the simple kernel agrees', async () => {
    const simple = await createEngine({ gpu: create([]), tiledPrefill: false });
    for (const headDim of [64, 128]) {
      const args = randomBatch({ qoLens: [70, 1, 33], kvLens: [70, 300, 40], numQoHeads: 4, numKvHeads: 2, headDim, causal: true, seed: 12 });
      const tiled = await engine.run(args);
      expect(tiled.kernel).toBe('prefill-tiled');
      expectMatchesReference(tiled, args);
      const plain = await simple.run(args);
      expect(plain.kernel).toBe('prefill');
      expectMatchesReference(plain, args);
    }
    simple.destroy();
  });

  it('decodes (one query per request) against long and odd-length KV', async () => {
    for (const headDim of [64, 128]) {
      const args = randomBatch({ qoLens: [1, 1, 1], kvLens: [1, 1000, 33], numQoHeads: 8, numKvHeads: 2, headDim, causal: true, seed: 7 });
      expectMatchesReference(await engine.run(args), args);
    }
  });

  it('gives o = 0 and lse = -Infinity, no NaN, to queries that see no key', async () => {
    // causal with 40 queries over 8 keys: queries 0..31 see nothing; request 1 has no keys at all.
    const args = randomBatch({ qoLens: [40, 3], kvLens: [8, 0], numQoHeads: 2, numKvHeads: 1, headDim: 64, causal: true, seed: 11 });
    const { o, lse } = await engine.run(args);
    expectMatchesReference({ o, lse }, args);
    const rows = lse.length;
    const masked = Array.from(lse).filter((x) => x === -Infinity).length;
    expect(masked).toBe(2 * 32 + 2 * 3);
    expect(rows).toBe(2 * 43);
    expect(Array.from(o.subarray(0, 32 * 2 * 64)).every((x) => x === 0)).toBe(true);
    expect(Array.from(o).some(Number.isNaN)).toBe(false);
  });

  it('stays stable when logits are large (online softmax rescaling)', async () => {
    const args = randomBatch({ qoLens: [17, 64], kvLens: [300, 64], numQoHeads: 2, numKvHeads: 2, headDim: 128, seed: 5 });
    // Scores reach a few hundred: exp overflows fp32 above 88, so without the running max the
    // output would be NaN. Logits this large carry fp32 rounding of about |s|·2^-23 ≈ 4e-5 each,
    // which the softmax passes on to o, hence the looser tolerance here.
    const loud = { ...args, smScale: 20 };
    expectMatchesReference(await engine.run(loud), loud, 1e-4);
  });

  it('handles requests with no queries between others', async () => {
    const args = randomBatch({ qoLens: [5, 0, 9], kvLens: [5, 12, 9], numQoHeads: 1, numKvHeads: 1, headDim: 64, causal: true, seed: 2 });
    expectMatchesReference(await engine.run(args), args);
  });
});

describe('the WebGPU engine refuses what it cannot run, naming the argument', () => {
  it('rejects a head dim it has no kernel for', async () => {
    const args = randomBatch({ qoLens: [2], kvLens: [2], numQoHeads: 1, numKvHeads: 1, headDim: 80 });
    await expect(engine.run(args)).rejects.toThrow(AttentionInputError);
    await expect(engine.run(args)).rejects.toThrow(/^headDim: 80 is not supported/);
  });

  it('rejects more query heads than a dispatch dimension allows', async () => {
    const numQoHeads = 70000;
    const args = randomBatch({ qoLens: [1], kvLens: [1], numQoHeads, numKvHeads: 1, headDim: 64 });
    await expect(engine.run(args)).rejects.toThrow(/^numQoHeads: 70000 is above this device's 65535 workgroups/);
  });

  it('rejects a KV buffer larger than the device can bind', async () => {
    const gpu = (await import('webgpu')).create([]);
    const adapter = await gpu.requestAdapter();
    const device = await adapter!.requestDevice(); // default limits: 128 MiB per storage binding
    const { createEngine } = await import('#kernels/index.ts');
    const small = await createEngine({ backend: 'webgpu', device });
    const totalKv = 2 ** 18 + 1; // 2^18 keys × 128 floats × 4 bytes = 128 MiB, plus one key
    const args = randomBatch({ qoLens: [1], kvLens: [totalKv], numQoHeads: 1, numKvHeads: 1, headDim: 128 });
    await expect(small.run(args)).rejects.toThrow(/^kv\.k: needs 128\.0 MiB but this device binds at most 128\.0 MiB/);
    device.destroy();
  });

  it('reports a lost device on every later run instead of returning garbage', async () => {
    const lost = await dawnEngine();
    lost.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(lost.lostReason).toBeDefined();
    const args = randomBatch({ qoLens: [1], kvLens: [1], numQoHeads: 1, numKvHeads: 1, headDim: 64 });
    await expect(lost.run(args)).rejects.toThrow(GpuError);
    await expect(lost.run(args)).rejects.toThrow(/device was lost/);
  });
});

describe('benchmark mode', () => {
  it('uploads once, warms up, then times each of several back-to-back runs; the output still equals the reference', async () => {
    expect(engine.hasTimestamps).toBe(true);
    const args = randomBatch({ qoLens: [40, 1], kvLens: [40, 90], numQoHeads: 4, numKvHeads: 2, headDim: 64, causal: true, seed: 31 });
    const started = performance.now();
    const result = await engine.benchmark(args, { runs: 5, warmupMs: 50 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(50);
    expect(result.runTimes).toHaveLength(5);
    for (const ms of result.runTimes!) expect(ms).toBeGreaterThanOrEqual(0);
    const sorted = [...result.runTimes!].sort((a, b) => a - b);
    expect(result.timing).toEqual({ ms: sorted[2], source: 'timestamp' });
    expectMatchesReference(result, args);
  });

  it('is refused by the CPU engine, which has no GPU timestamps', async () => {
    const cpu = await createEngine({ backend: 'cpu' });
    await expect(cpu.benchmark(randomBatch({ qoLens: [1], kvLens: [4], numQoHeads: 1, numKvHeads: 1, headDim: 64, causal: false, seed: 1 }), { runs: 2, warmupMs: 0 })).rejects.toThrow(GpuError);
  });
});
