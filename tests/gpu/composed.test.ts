import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AttentionInputError, bsrFromMask, cascadeSplits, foldQueryHeads, checkAttentionArgs, composableAttention, randomBatch, referenceAttention, sharedPrefixBatch, cascadeLevels,
  type BsrLayout, type Engine,
} from '#kernels/index.ts';
import { dawnEngine } from './dawn.ts';
import { expectMatchesReference } from './tolerance.ts';

let engine: Engine;
beforeAll(async () => {
  engine = await dawnEngine();
});
afterAll(() => engine?.destroy());

describe('composable formats on WebGPU', () => {
  it('a shared prefix in 64×64 full blocks plus each request’s causal suffix in 16×16 blocks equals causal attention', async () => {
    const prefix = 128;
    const args = randomBatch({ qoLens: [64, 128], kvLens: [prefix + 64, prefix + 128], numQoHeads: 4, numKvHeads: 2, headDim: 64, causal: true, seed: 21 });
    const shape = checkAttentionArgs(args);
    const layout = (R: number, C: number, keep: (kv: number) => boolean): BsrLayout => ({
      R, C, heads: 'shared',
      matrices: [0, 1].map((b) => {
        const qoLen = shape.qoIndptr[b + 1] - shape.qoIndptr[b];
        const kvLen = shape.kvLens[b];
        return bsrFromMask((qo, kv) => keep(kv) && kv <= qo + kvLen - qoLen, { rows: qoLen, cols: kvLen, R, C });
      }),
    });
    const formats = [layout(64, 64, (kv) => kv < prefix), layout(16, 16, (kv) => kv >= prefix)];
    const got = await engine.run({ ...args, formats });
    expect(got.kernel).toBe('prefill-composed');
    expectMatchesReference(got, args);
    const cpu = composableAttention(args, formats);
    expect(Math.max(...got.o.map((x, i) => Math.abs(x - cpu.o[i])))).toBeLessThan(1e-5);
    // One layout alone writes the output directly (no partial states, no merge).
    const alone = await engine.run({ ...args, formats: [formats[1]] });
    const cpuAlone = composableAttention(args, [formats[1]]);
    expect(Math.max(...alone.o.map((x, i) => Math.abs(x - cpuAlone.o[i])))).toBeLessThan(1e-5);
  });

  it('rejects two sparse modes at once, naming the second', async () => {
    const args = randomBatch({ qoLens: [64], kvLens: [64], numQoHeads: 1, numKvHeads: 1, headDim: 64, seed: 2 });
    const bsr: BsrLayout = { R: 64, C: 64, heads: 'shared', matrices: [bsrFromMask(() => true, { rows: 64, cols: 64, R: 64, C: 64 })] };
    await expect(engine.run({ ...args, bsr, formats: [bsr] })).rejects.toThrow(AttentionInputError);
    await expect(engine.run({ ...args, bsr, formats: [bsr] })).rejects.toThrow(/^formats: cannot be combined with bsr/);
  });
});

describe('cascade attention on WebGPU', () => {
  it('decode over a shared prefix (prefix once for all queries, split over workgroups, merged into each request’s suffix) equals full attention', async () => {
    const args = sharedPrefixBatch({ prefixLen: 512, suffixLens: [0, 5, 70, 33, 1], numQoHeads: 8, numKvHeads: 2, headDim: 128, pageSize: 16, seed: 5 });
    expect(cascadeSplits(checkAttentionArgs(foldQueryHeads(cascadeLevels(args, 512).prefix)), 512), 'the prefix is split').toBe(4);
    const got = await engine.run({ ...args, sharedPrefix: 512 });
    expect(got.kernel).toBe('cascade');
    expectMatchesReference(got, args);
  });

  it('appends (several queries per request, causal) over a shared prefix through the prefill kernel', async () => {
    const args = sharedPrefixBatch({ prefixLen: 64, suffixLens: [40, 90], qoLens: [40, 7], numQoHeads: 4, numKvHeads: 4, headDim: 64, pageSize: 8, seed: 6 });
    const got = await engine.run({ ...args, sharedPrefix: 64 });
    expectMatchesReference(got, args);
    expect(referenceAttention(args).lse.every(Number.isFinite)).toBe(true);
  });
});
