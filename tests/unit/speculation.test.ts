import { describe, expect, it } from 'vitest';
import {
  acceptanceRate, builtinVariant, bundledCorpus, compileVariant, draftTree, expectedAccepted, NGramModel, speculate, speculateTree, expectedTokensPerStep, packMaskBits,
  randomBatch, referenceWeights, sample, seededRandom, treeDepths, treeMask, treeSpeculationStep, verifyChain, verifyTree, type DraftTree,
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

describe('tree speculation: multi-candidate rejection sampling down a drafted token tree', () => {
  // A Markov target and a different draft over 5 tokens: the next token depends on the last one.
  const P = [
    [0.5, 0.2, 0.15, 0.1, 0.05],
    [0.1, 0.3, 0.3, 0.2, 0.1],
    [0.25, 0.25, 0.05, 0.05, 0.4],
    [0.05, 0.1, 0.15, 0.2, 0.5],
    [0.3, 0.05, 0.3, 0.05, 0.3],
  ];
  const Q = [
    [0.1, 0.4, 0.1, 0.3, 0.1],
    [0.2, 0.2, 0.2, 0.2, 0.2],
    [0.05, 0.5, 0.05, 0.35, 0.05],
    [0.4, 0.1, 0.1, 0.1, 0.3],
    [0.1, 0.1, 0.6, 0.1, 0.1],
  ];
  const START = 0;
  const next = (table: number[][]) => (path: readonly number[]) => table[path.length ? path[path.length - 1] : START];

  it('drafts breadth first: independent draws per node, one node per distinct token, at most maxNodes nodes', () => {
    const random = seededRandom(3);
    const tree = draftTree([3, 2, 2], next(Q), next(P), random, 10);
    expect(tree.tokens.length).toBe(10);
    const depths = treeDepths(tree.parents);
    expect(depths).toEqual([...depths].sort((a, b) => a - b));
    expect(tree.draws[0].length).toBe(3);
    tree.draws.forEach((draws, at) => draws.forEach((node) => expect(tree.parents[node]).toBe(at - 1)));
    // A draft that always proposes token 1: three draws, one node.
    const certain = draftTree([3, 1], () => [0, 1, 0, 0, 0], next(P), random);
    expect(certain.tokens).toEqual([1, 1]);
    expect(certain.parents).toEqual([-1, 0]);
    expect(certain.draws).toEqual([[0, 0, 0], [1], []]);
    expect(() => draftTree([2, 0], next(Q), next(P), random)).toThrow(/shape\[1\] is 0/);
  });

  it('is exactly chain verification when every node has one draw', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const drafting = seededRandom(seed);
      const tree = draftTree([1, 1, 1], next(Q), next(P), drafting);
      const draft = tree.tokens;
      const viaTree = verifyTree(tree, seededRandom(seed + 1000));
      const viaChain = verifyChain(draft, tree.q.slice(0, 3) as number[][], tree.p as number[][], seededRandom(seed + 1000));
      expect(viaTree.emitted).toEqual(viaChain.emitted);
      expect(viaTree.accepted).toEqual(viaChain.accepted);
    }
  });

  it('emits tokens distributed as the target: chi-square on the first two tokens of 20000 generations', () => {
    const random = seededRandom(2027);
    const trials = 20000;
    const counts = new Array(25).fill(0);
    for (let t = 0; t < trials; t++) {
      // Generate until two tokens exist (a step can emit one), as a decoder would.
      const out: number[] = [];
      while (out.length < 2) {
        const context = out.length ? out[out.length - 1] : START;
        const local = (table: number[][]) => (path: readonly number[]) => table[path.length ? path[path.length - 1] : context];
        out.push(...verifyTree(draftTree([3, 2, 1], local(Q), local(P), random, 8), random).emitted);
      }
      counts[out[0] * 5 + out[1]]++;
    }
    const expected = (cell: number) => trials * P[START][Math.floor(cell / 5)] * P[Math.floor(cell / 5)][cell % 5];
    const chiSquare = counts.reduce((sum, observed, cell) => sum + (observed - expected(cell)) ** 2 / expected(cell), 0);
    // 24 degrees of freedom: the 0.999 quantile is 51.18 (each cell expects at least 50 counts).
    expect(chiSquare).toBeLessThan(51.18);
    // The test has power: the draft's own distribution of two tokens scores in the thousands.
    const draftOnly = counts.reduce((sum, _, cell) => sum + (trials * Q[START][Math.floor(cell / 5)] * Q[Math.floor(cell / 5)][cell % 5] - expected(cell)) ** 2 / expected(cell), 0);
    expect(draftOnly).toBeGreaterThan(1000);
  });

  it('accepts on average what expectedAccepted computes for a fixed tree', () => {
    const tree: DraftTree = draftTree([3, 2, 2], next(Q), next(P), seededRandom(8));
    const random = seededRandom(9);
    const trials = 20000;
    let accepted = 0;
    for (let t = 0; t < trials; t++) accepted += verifyTree(tree, random).accepted.length;
    // Accepted counts lie in 0…3, so their standard deviation is below 1.5 and the mean's standard
    // error below 0.011: allow 4 of them.
    expect(Math.abs(accepted / trials - expectedAccepted(tree))).toBeLessThan(0.045);
  });

  it('rejects a tree whose draws do not match its parents', () => {
    // Node 1 continues the verified prefix, so it cannot be drawn after node 0.
    const tree: DraftTree = { tokens: [1, 2], parents: [-1, -1], draws: [[0], [1], []], q: [Q[0], Q[1], undefined], p: [P[0], P[1], P[2]] };
    expect(() => verifyTree(tree, Math.random)).toThrow('draw of node 1 at point 1: that node\'s parent is -1, not 0');
    expect(() => verifyTree({ ...tree, q: [Q[0], undefined, undefined] }, Math.random)).toThrow('point 1 has draws but no draft distribution');
  });
});

describe('tree vs chain speculation with the bundled n-gram models', () => {
  const corpus = bundledCorpus();
  const draft = new NGramModel(corpus.vocab, corpus.tokens, 2);
  const target = new NGramModel(corpus.vocab, corpus.tokens, 5);

  it('emits more tokens per step from a tree than from a chain of the same depth', () => {
    const run = (shape: number[]) => {
      const random = seededRandom(11);
      let tokens = corpus.encode('Alice was ');
      const perStep: number[] = [];
      while (perStep.length < 1500) {
        const step = treeSpeculationStep(draft, target, tokens, shape, 24, random);
        perStep.push(step.emitted.length);
        tokens = [...tokens, ...step.emitted];
      }
      const mean = perStep.reduce((a, b) => a + b, 0) / perStep.length;
      const variance = perStep.reduce((sum, x) => sum + (x - mean) ** 2, 0) / (perStep.length - 1);
      return { mean, standardError: Math.sqrt(variance / perStep.length) };
    };
    const chain = run([1, 1, 1, 1]);
    const tree = run([3, 2, 1, 1]);
    // Measured here: chain 1.44, tree 1.83 tokens per step (standard errors about 0.02 and 0.03).
    // The tree must win by more than 4 standard errors of the difference.
    expect(tree.mean - chain.mean).toBeGreaterThan(4 * Math.hypot(chain.standardError, tree.standardError));
  });

  it('measures tokens per step that agree with the drafted trees\' exact expectations', () => {
    for (const shape of [[1, 1, 1, 1], [3, 2, 1, 1], [2, 2, 2]]) {
      const report = speculateTree(draft, target, corpus.encode('Alice was '), 3000, shape, { maxNodes: 16, seed: 5 });
      expect(report.nodesPerStep).toBeLessThanOrEqual(16);
      // About 1600 steps with a per-step standard deviation near 1: a standard error near 0.025, under 2% of the mean.
      expect(Math.abs(report.tokensPerStep / report.expectedTokensPerStep - 1)).toBeLessThan(0.06);
    }
    const chain = speculateTree(draft, target, corpus.encode('Alice was '), 1000, [1, 1, 1, 1], { seed: 4 });
    expect(chain.tokensPerStep).toBe(speculate(draft, target, corpus.encode('Alice was '), 1000, 4, 4).tokensPerStep);
  });
});
