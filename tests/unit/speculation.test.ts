import { describe, expect, it } from 'vitest';
import {
  acceptanceRate, builtinVariant, bundledCorpus, compileVariant, NGramModel, speculate, expectedTokensPerStep, packMaskBits, randomBatch, referenceWeights,
  sample, seededRandom, treeDepths, treeMask, verifyChain,
} from '#kernels/index.ts';

describe('token trees', () => {
  // 0 and 1 continue the verified prefix; 2 continues 0; 3 continues 2; 4 continues 1.
  const parents = [-1, -1, 0, 2, 1];

  it('gives each draft token its prefix, its ancestors and itself: the ancestor-or-self mask', () => {
    const mask = treeMask(parents, 2);
    const rows = Array.from({ length: 5 }, (_, i) => Array.from(mask.subarray(i * 7, (i + 1) * 7)).join(''));
    expect(rows).toEqual(['1110000', '1101000', '1110100', '1110110', '1101001']);
    expect(treeDepths(parents)).toEqual([1, 1, 2, 3, 2]);
  });

  it('rejects a parent that is not an earlier draft token', () => {
    expect(() => treeMask([-1, 3], 0)).toThrow('parents[1] is 3; it must be -1 or the index of an earlier draft token');
    expect(() => treeMask([-1], -1)).toThrow(/prefixLen must be/);
  });

  it('packs masks in FlashInfer bit order, and the tree-mask variant reads them back exactly', () => {
    const mask = treeMask(parents, 2);
    const packed = packMaskBits([new Uint8Array(3).fill(1), mask]);
    expect(Array.from(packed.maskBitOffset)).toEqual([0, 3]);
    const result = compileVariant(builtinVariant('tree-mask').source);
    if (!result.ok) throw new Error('tree-mask failed to compile');
    const args = { ...randomBatch({ qoLens: [1, 5], kvLens: [3, 7], numQoHeads: 1, numKvHeads: 1, headDim: 64 }), variant: result.variant, tensors: packed };
    expect(Array.from(referenceWeights(args, 1, 0).visible)).toEqual(Array.from(mask));
  });
});

describe('speculative sampling', () => {
  const p = [0.5, 0.2, 0.15, 0.1, 0.05];
  const q = [0.1, 0.4, 0.1, 0.3, 0.1];

  it('emits tokens distributed as the target: chi-square over 20000 single-token steps', () => {
    const random = seededRandom(2026);
    const trials = 20000;
    const counts = new Array(5).fill(0);
    for (let t = 0; t < trials; t++) {
      const draftToken = sample(q, random);
      const step = verifyChain([draftToken], [q], [p, p], random);
      counts[step.emitted[0]]++;
    }
    const chiSquare = counts.reduce((sum, observed, v) => sum + (observed - trials * p[v]) ** 2 / (trials * p[v]), 0);
    // 4 degrees of freedom: the 0.999 quantile is 18.47; the draft distribution alone scores in the thousands.
    expect(chiSquare).toBeLessThan(18.47);
    const draftOnly = q.reduce((sum, qv, v) => sum + (trials * qv - trials * p[v]) ** 2 / (trials * p[v]), 0);
    expect(draftOnly).toBeGreaterThan(1000);
  });

  it('accepts as often as Σ min(p, q) says, and emits the expected tokens per step', () => {
    const random = seededRandom(7);
    const alpha = acceptanceRate(p, q);
    expect(alpha).toBeCloseTo(0.1 + 0.2 + 0.1 + 0.1 + 0.05, 12);
    const k = 3;
    let emitted = 0;
    const steps = 20000;
    for (let s = 0; s < steps; s++) {
      const draft = [sample(q, random), sample(q, random), sample(q, random)];
      emitted += verifyChain(draft, [q, q, q], [p, p, p, p], random).emitted.length;
    }
    // Standard error of the mean here is about 0.006; allow 4 of them.
    expect(Math.abs(emitted / steps - expectedTokensPerStep(alpha, k))).toBeLessThan(0.025);
  });

  it('checks that there is a target distribution for every draft token and the bonus', () => {
    expect(() => verifyChain([1], [q], [p], Math.random)).toThrow(/p needs 2 distributions/);
  });
});

describe('speculative decoding with real n-gram models of a bundled text', () => {
  const corpus = bundledCorpus();
  const draft = new NGramModel(corpus.vocab, corpus.tokens, 2);
  const target = new NGramModel(corpus.vocab, corpus.tokens, 5);

  it('trains proper distributions: every character possible, mass 1, the text made likely', () => {
    const context = corpus.encode('Alice was beginning to get very tire');
    const p = target.distribution(context);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(Math.min(...p)).toBeGreaterThan(0);
    expect(p[corpus.encode('d')[0]]).toBeGreaterThan(0.5); // "tired" follows in the text
  });

  it('measures accepted tokens per step that agree with the expectation from the measured acceptance', () => {
    for (const k of [1, 2, 4]) {
      const report = speculate(draft, target, corpus.encode('Alice was '), 3000, k, 5);
      expect(report.meanAcceptance).toBeGreaterThan(0.1);
      expect(report.meanAcceptance).toBeLessThan(0.9);
      expect(Math.abs(report.tokensPerStep / expectedTokensPerStep(report.meanAcceptance, k) - 1)).toBeLessThan(0.05);
    }
  });

  it('does better with a draft closer to the target', () => {
    const closer = new NGramModel(corpus.vocab, corpus.tokens, 4);
    const weak = speculate(draft, target, corpus.encode('Alice was '), 2000, 4, 3);
    const strong = speculate(closer, target, corpus.encode('Alice was '), 2000, 4, 3);
    expect(strong.meanAcceptance).toBeGreaterThan(weak.meanAcceptance + 0.1);
    expect(strong.tokensPerStep).toBeGreaterThan(weak.tokensPerStep);
  });
});
