import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { create } from 'webgpu';
import { builtinVariant, checkAttentionArgs, compileVariant, createEngine, exampleTensors, pageBatch, randomBatch, type CompiledVariant, type Engine } from '#kernels/index.ts';
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

describe('split-KV decode with its merge equals the reference', () => {
  it('over random decode batches: 1-12 requests, KV 0-1200 (split into chunks), GQA groups 1-8, ragged or paged', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          kvLens: fc.array(fc.integer({ min: 0, max: 1200 }), { minLength: 1, maxLength: 12 }),
          numKvHeads: fc.integer({ min: 1, max: 3 }),
          group: fc.constantFrom(1, 2, 3, 4, 8),
          headDim: fc.constantFrom(64, 128),
          pageSize: fc.constantFrom(0, 1, 16, 64),
          seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        }),
        async ({ kvLens, numKvHeads, group, headDim, pageSize, seed }) => {
          const ragged = randomBatch({ qoLens: kvLens.map(() => 1), kvLens, numQoHeads: numKvHeads * group, numKvHeads, headDim, causal: true, seed });
          const args = pageSize ? pageBatch(ragged, pageSize, seed) : ragged;
          const result = await engine.run(args);
          expect(result.kernel).toBe('decode');
          expectMatchesReference(result, args);
        },
      ),
      { numRuns: 12, seed: 5 },
    );
  });

  it('gives the same results with the portable lane sum (workgroup memory instead of subgroups)', async () => {
    const portable = await createEngine({ gpu: create([]), subgroups: false });
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
    const result = await engine.run(args);
    expect(result.kernel).toBe('decode');
    expectMatchesReference(result, args);
    expect(result.lse[4]).toBe(-Infinity); // request 1 has no keys
  });

  it.each(['soft-cap', 'alibi', 'flash-sigmoid', 'document-mask', 'tree-mask'])('runs the %s variant on the decode kernel', async (id) => {
    const variant = compiled(id);
    const batch = randomBatch({ qoLens: [1, 1, 1, 1], kvLens: [900, 33, 600, 1], numQoHeads: 8, numKvHeads: 2, headDim: 128, seed: 8 });
    const args = { ...batch, variant, tensors: exampleTensors(variant, checkAttentionArgs(batch), 8) };
    const result = await engine.run(args);
    expect(result.kernel).toBe('decode');
    expectMatchesReference(result, args);
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
    const prefill = await engine.run({ ...args, kernel: 'prefill' });
    expect(prefill.kernel).toBe('prefill-tiled');
    decode.o.forEach((x, i) => expect(Math.abs(x - prefill.o[i])).toBeLessThan(1e-5));
  });
});
