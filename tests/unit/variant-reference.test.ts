import { describe, expect, it } from 'vitest';
import { builtinVariant, compileVariant, randomBatch, referenceAttention, referenceWeights, type CompiledVariant } from '#kernels/index.ts';

function compiled(source: string): CompiledVariant {
  const result = compileVariant(source);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.variant;
}

const args = randomBatch({ qoLens: [5, 1], kvLens: [9, 6], numQoHeads: 2, numKvHeads: 1, headDim: 64, seed: 4 });

describe('the CPU reference runs a variant as the JS emitted from its source', () => {
  it('the causal built-in equals the causal flag exactly', () => {
    const withVariant = referenceAttention({ ...args, variant: compiled(builtinVariant('causal').source) });
    const withFlag = referenceAttention({ ...args, causal: true });
    expect(withVariant.o).toEqual(withFlag.o);
    expect(withVariant.lse).toEqual(withFlag.lse);
  });

  it('FlashSigmoid sums sigmoid(scale·s + bias)·v with no normalization, and lse 0', () => {
    const one = randomBatch({ qoLens: [1], kvLens: [3], numQoHeads: 1, numKvHeads: 1, headDim: 64, seed: 8 });
    const variant = compiled(builtinVariant('flash-sigmoid').source);
    const { o, lse } = referenceAttention({ ...one, variant, vars: { scale: 2, bias: -0.5 } });
    const expected = new Float64Array(64);
    for (let j = 0; j < 3; j++) {
      let dot = 0;
      for (let d = 0; d < 64; d++) dot += one.q[d] * one.kv.k[j * 64 + d];
      const w = 1 / (1 + Math.exp(-((dot / 8) * 2 - 0.5)));
      for (let d = 0; d < 64; d++) expected[d] += w * one.kv.v[j * 64 + d];
    }
    expected.forEach((x, d) => expect(o[d]).toBeCloseTo(x, 5));
    expect(lse[0]).toBe(0);
  });

  it('a sliding window of 2 leaves each query exactly its last two keys', () => {
    const variant = compiled(builtinVariant('sliding-window').source);
    const { visible, qoLen, kvLen } = referenceWeights({ ...args, variant, vars: { window: 2 } }, 0, 0);
    for (let i = 0; i < qoLen; i++) {
      const row = Array.from(visible.subarray(i * kvLen, (i + 1) * kvLen));
      const pos = i + kvLen - qoLen;
      expect(row).toEqual(row.map((_, j) => (j <= pos && pos - j < 2 ? 1 : 0)));
    }
  });

  it('applies an output transform to the normalized output', () => {
    const plain = referenceAttention(args);
    const doubled = referenceAttention({ ...args, variant: compiled('export function outputTransform(o: Vec, idx: HeadIdx): Vec {\n  return o.map((x) => 2 * x);\n}') });
    doubled.o.forEach((x, i) => expect(x).toBeCloseTo(2 * plain.o[i], 6));
  });

  it('uses a var default until the run sets it', () => {
    const variant = compiled('export const vars = { t: 0.5 };\nexport function logitsTransform(l: number, idx: Idx): number {\n  return l * vars.t;\n}');
    const byDefault = referenceAttention({ ...args, variant });
    const explicit = referenceAttention({ ...args, smScale: 0.5 / 8 }); // plain attention, scale folded in
    byDefault.o.forEach((x, i) => expect(x).toBeCloseTo(explicit.o[i], 6));
    const changed = referenceAttention({ ...args, variant, vars: { t: 3 } });
    expect(changed.o).not.toEqual(byDefault.o);
  });

  it('widens `let s = 0` to a fraction when a fraction is added, as JS does', () => {
    const variant = compiled('export function logitsTransform(l: number, idx: Idx): number {\n  let s = 0;\n  s += l / 2;\n  return s;\n}');
    expect(variant.wgsl).toContain('var v_s: f32 = 0.0;');
  });
});
