import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUILTIN_VARIANTS, checkAttentionArgs, compileVariant, exampleTensors, randomBatch, referenceAttention,
  AttentionInputError, VariantGpuError, type CompiledVariant, type Engine,
} from '#kernels/index.ts';
import { dawnEngine } from './dawn.ts';
import { expectMatchesReference } from './tolerance.ts';

let engine: Engine;
beforeAll(async () => {
  engine = await dawnEngine();
});
afterAll(() => engine?.destroy());

function compiled(source: string): CompiledVariant {
  const result = compileVariant(source);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.variant;
}

const variants = BUILTIN_VARIANTS.map((b) => ({ id: b.id, variant: compiled(b.source) }));

/** RoPE's sin and cos: WGSL only promises an absolute error of 2^-11 (5e-4) for them (and pow is
 * looser still), so a rotated q·k may be off by about 1e-3 relative; its tolerance is 2e-3. */
const TOLERANCE: Record<string, number> = { rope: 2e-3 };

const shapes = fc.record({
  lengths: fc.array(fc.record({ qo: fc.integer({ min: 1, max: 100 }), extra: fc.integer({ min: 0, max: 100 }) }), { minLength: 1, maxLength: 4 }),
  numKvHeads: fc.integer({ min: 1, max: 4 }),
  group: fc.constantFrom(1, 2, 4),
  headDim: fc.constantFrom(64, 128),
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
});

describe('every built-in variant on WebGPU equals the same variant on the CPU reference', () => {
  it.each(variants)('$id over random batches (prefill, append and decode shapes)', async ({ id, variant }) => {
    await fc.assert(
      fc.asyncProperty(shapes, async ({ lengths, numKvHeads, group, headDim, seed }) => {
        const args = randomBatch({
          qoLens: lengths.map((l) => l.qo),
          kvLens: lengths.map((l) => l.qo + l.extra), // KV covers the queries: append after a cache
          numQoHeads: numKvHeads * group,
          numKvHeads,
          headDim,
          seed,
        });
        const tensors = exampleTensors(variant, checkAttentionArgs(args), seed);
        const run = { ...args, variant, tensors };
        expectMatchesReference(await engine.run(run), run, TOLERANCE[id]);
      }),
      { numRuns: 3, seed: 7 },
    );
  });
});

describe('vars, tensors and the pipeline cache', () => {
  const sigmoid = variants.find((v) => v.id === 'flash-sigmoid')!.variant;
  const args = randomBatch({ qoLens: [40, 1], kvLens: [40, 90], numQoHeads: 4, numKvHeads: 2, headDim: 64, seed: 9 });

  it('re-runs with new var values without compiling a new pipeline', async () => {
    await engine.run({ ...args, variant: sigmoid });
    const created = engine.pipelineStats!.created;
    for (const bias of [-2, 0.5, 3]) {
      const run = { ...args, variant: sigmoid, vars: { scale: 0.7, bias } };
      expectMatchesReference(await engine.run(run), run);
    }
    expect(engine.pipelineStats!.created).toBe(created);
  });

  it('compiles once per variant and head dim: a recompiled identical source is a cache hit', async () => {
    const source = `export function logitsTransform(l: number, idx: Idx): number {\n  return l * ${Math.random() + 2};\n}`;
    const before = engine.pipelineStats!.created;
    await engine.run({ ...args, variant: compiled(source) });
    expect(engine.pipelineStats!.lastCreateMs).toBeGreaterThan(0);
    await engine.run({ ...args, variant: compiled(source) });
    expect(engine.pipelineStats!.created).toBe(before + 1);
    expect(engine.pipelineStats!.lastCreateMs).toBe(0);
  });

  it('clamps an out-of-range tensor read on the GPU, and the CPU run of the same code reports it', async () => {
    const variant = compiled("export const tensors = { bias: 'f32' };\nexport function logitsTransform(l: number, idx: Idx): number {\n  return l + tensors.bias[idx.kv];\n}");
    const bias = Float32Array.from([0.5, -0.25, 1]); // keys 3.. read past the end: clamped to bias[2]
    const run = { ...args, variant, tensors: { bias } };
    const cpu = referenceAttention(run);
    expect(cpu.rangeReports).toEqual([{ what: 'tensors.bias', index: 3, length: 3, count: expect.any(Number) }]);
    expectMatchesReference(await engine.run(run), run);
  });

  it('names a missing or mistyped tensor and an unknown var', async () => {
    const alibi = variants.find((v) => v.id === 'alibi')!.variant;
    await expect(engine.run({ ...args, variant: alibi })).rejects.toThrow(/^tensors\.slopes: is missing/);
    await expect(engine.run({ ...args, variant: alibi, tensors: { slopes: new Int32Array(4) } })).rejects.toThrow(/must be a Float32Array/);
    await expect(engine.run({ ...args, variant: sigmoid, vars: { scael: 1 } })).rejects.toThrow(AttentionInputError);
  });

  it('maps a WGSL compiler error in generated code back to the learner\'s line', async () => {
    // 7 % 0 passes the variant checker but WGSL rejects a constant remainder by zero.
    const variant = compiled('export function logitsMask(idx: Idx): boolean {\n  const z = 7 % 0;\n  return idx.kv > z;\n}');
    const error = await engine.run({ ...args, variant }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VariantGpuError);
    expect((error as VariantGpuError).diagnostics[0].line).toBe(2);
    expect((error as VariantGpuError).diagnostics[0].message).toMatch(/^The GPU compiler rejected the code made from this line/);
  });
});
