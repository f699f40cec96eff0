import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinVariant, compileVariant, packMaskBits, randomBatch, treeMask, type AttentionArgs, type Engine } from '#kernels/index.ts';
import { dawnEngine } from './dawn.ts';
import { expectMatchesReference } from './tolerance.ts';

let engine: Engine;
beforeAll(async () => {
  engine = await dawnEngine();
});
afterAll(() => engine?.destroy());

const D = 64;

describe('tree attention (speculative decoding) through the tree-mask variant', () => {
  it('gives each draft token the causal attention of its own branch', async () => {
    const compiled = compileVariant(builtinVariant('tree-mask').source);
    if (!compiled.ok) throw new Error('tree-mask failed to compile');
    const prefix = 37;
    const parents = [-1, -1, 0, 2, 1, 4, 3, 0];
    const n = parents.length;
    // One request: the verified prefix plus the drafted tree, keys and queries for every tree token.
    const base = randomBatch({ qoLens: [n], kvLens: [prefix + n], numQoHeads: 2, numKvHeads: 1, headDim: D, seed: 21 });
    const args: AttentionArgs = { ...base, variant: compiled.variant, tensors: packMaskBits([treeMask(parents, prefix)]) };
    const tree = await engine.run(args);
    expectMatchesReference(tree, args);

    // The same token as the last query of a plain causal sequence: prefix, then its ancestors, then itself.
    for (let node = 0; node < n; node++) {
      const path: number[] = [];
      for (let x = node; x !== -1; x = parents[x]) path.unshift(x);
      const rows = [...Array.from({ length: prefix }, (_, j) => j), ...path.map((x) => prefix + x)];
      const pick = (from: Float32Array, width: number, indices: number[]) => {
        const out = new Float32Array(indices.length * width);
        indices.forEach((r, i) => out.set(from.subarray(r * width, (r + 1) * width), i * width));
        return out;
      };
      const branch: AttentionArgs = {
        q: pick(base.q, 2 * D, [node]),
        qoIndptr: [0, 1],
        kv: { kind: 'ragged', k: pick(base.kv.k, D, rows), v: pick(base.kv.v, D, rows), kvIndptr: [0, rows.length] },
        numQoHeads: 2, numKvHeads: 1, headDim: D, causal: true,
      };
      const chain = await engine.run(branch);
      for (let i = 0; i < 2 * D; i++) expect(Math.abs(tree.o[node * 2 * D + i] - chain.o[i])).toBeLessThan(1e-5);
    }
  });
});
