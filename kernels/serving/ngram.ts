import corpus from './corpus/alice.txt?raw';
import { seededRandom } from '../formats/random.ts';
import { acceptanceRate, sample, verifyChain, type SpeculationStep } from './rejection-sampling.ts';
import { draftTree, expectedAccepted, verifyTree, type DraftTree, type TreeShape, type TreeStep } from './tree-speculation.ts';

/**
 * Tiny real language models for speculative decoding: character n-grams trained on a bundled
 * public-domain text. A model of order n interpolates its 1…n-gram estimates (each seen context
 * takes 70% of the mass from the shorter ones) and keeps `smoothing` of the mass uniform, so every
 * character stays possible and an unseen context falls back to shorter ones. A low-order model
 * drafts, a higher-order one is the target.
 */
export class NGramModel {
  /** Counts by context (the previous tokens, joined), for every context length 0 … order − 1. */
  private readonly counts = new Map<string, Float64Array>();

  constructor(
    readonly vocab: readonly string[],
    tokens: readonly number[],
    readonly order: number,
    readonly smoothing = 0.001,
  ) {
    if (!Number.isInteger(order) || order < 1) throw new RangeError(`order must be a positive integer, got ${order}`);
    for (let i = 0; i < tokens.length; i++) {
      for (let n = 0; n < order && n <= i; n++) {
        const key = tokens.slice(i - n, i).join(',');
        let row = this.counts.get(key);
        if (!row) this.counts.set(key, (row = new Float64Array(vocab.length)));
        row[tokens[i]]++;
      }
    }
  }

  /** Next-token distribution after `context` (only its last order − 1 tokens matter). */
  distribution(context: readonly number[]): Float64Array {
    const out = new Float64Array(this.vocab.length);
    for (let n = 0; n < this.order && n <= context.length; n++) {
      const row = this.counts.get(context.slice(context.length - n).join(','));
      if (!row) break;
      const total = row.reduce((a, b) => a + b, 0);
      const weight = n === 0 ? 1 : 0.7;
      for (let v = 0; v < out.length; v++) out[v] = (1 - weight) * out[v] + (weight * row[v]) / total;
    }
    return out.map((x) => (1 - this.smoothing) * x + this.smoothing / this.vocab.length);
  }
}

export interface Corpus {
  vocab: string[];
  tokens: number[];
  decode(tokens: readonly number[]): string;
  encode(text: string): number[];
}

/** The bundled text as character tokens. */
export function bundledCorpus(): Corpus {
  const vocab = [...new Set(corpus)].sort();
  const index = new Map(vocab.map((c, i) => [c, i]));
  const encode = (text: string) => [...text].map((c) => {
    const token = index.get(c);
    if (token === undefined) throw new RangeError(`'${c}' is not in the corpus vocabulary`);
    return token;
  });
  return { vocab, tokens: encode(corpus), decode: (tokens) => tokens.map((t) => vocab[t]).join(''), encode };
}

export interface SpeculationReport {
  tokens: number[];
  steps: number;
  /** Tokens emitted per step, measured. */
  tokensPerStep: number;
  /** Mean of Σ min(p, q) over the draft positions verified: the per-token acceptance probability. */
  meanAcceptance: number;
  /** Draft tokens accepted / proposed. */
  acceptedFraction: number;
}

export interface DraftedStep extends SpeculationStep {
  drafted: number[];
  /** Σ min(p, q) at each verified position (up to and including the first rejection). */
  acceptance: number[];
}

/** One step of chain speculation: draft `k` tokens after `context`, verify them against the target. */
export function speculationStep(draft: NGramModel, target: NGramModel, context: readonly number[], k: number, random: () => number): DraftedStep {
  const drafted: number[] = [];
  const q: Float64Array[] = [];
  const p: Float64Array[] = [];
  for (let i = 0; i < k; i++) {
    const dist = draft.distribution([...context, ...drafted]);
    q.push(dist);
    p.push(target.distribution([...context, ...drafted]));
    drafted.push(sample(dist, random));
  }
  p.push(target.distribution([...context, ...drafted]));
  const step = verifyChain(drafted, q, p, random);
  const verified = Math.min(k, step.accepted.length + 1);
  return { ...step, drafted, acceptance: Array.from({ length: verified }, (_, i) => acceptanceRate(p[i], q[i])) };
}

/**
 * Chain speculative decoding with real models: each step drafts `k` tokens from `draft`, verifies
 * them against `target` with rejection sampling, and emits the accepted ones plus one more.
 */
export function speculate(draft: NGramModel, target: NGramModel, prompt: readonly number[], length: number, k: number, seed = 1): SpeculationReport {
  const random = seededRandom(seed);
  const tokens = [...prompt];
  let steps = 0;
  let proposed = 0;
  let accepted = 0;
  let acceptanceSum = 0;
  while (tokens.length - prompt.length < length) {
    const step = speculationStep(draft, target, tokens, k, random);
    acceptanceSum += step.acceptance.reduce((a, b) => a + b, 0);
    proposed += step.acceptance.length;
    accepted += step.accepted.length;
    tokens.push(...step.emitted);
    steps++;
  }
  const emitted = tokens.length - prompt.length;
  return { tokens: tokens.slice(prompt.length), steps, tokensPerStep: emitted / steps, meanAcceptance: acceptanceSum / proposed, acceptedFraction: accepted / proposed };
}

export interface TreeDraftedStep extends TreeStep {
  tree: DraftTree;
  /** Accepted tokens this tree gives on average (`expectedAccepted`), for measured vs expected. */
  expectedAccepted: number;
}

/** One step of tree speculation: draft a tree of the given shape after `context`, verify it against the target. */
export function treeSpeculationStep(
  draft: NGramModel,
  target: NGramModel,
  context: readonly number[],
  shape: TreeShape,
  maxNodes: number,
  random: () => number,
): TreeDraftedStep {
  const tree = draftTree(shape, (path) => draft.distribution([...context, ...path]), (path) => target.distribution([...context, ...path]), random, maxNodes);
  return { ...verifyTree(tree, random), tree, expectedAccepted: expectedAccepted(tree) };
}

export interface TreeSpeculationReport {
  tokens: number[];
  steps: number;
  /** Tokens emitted per step, measured. */
  tokensPerStep: number;
  /** The mean over steps of each drafted tree's exact expectation (accepted + 1). */
  expectedTokensPerStep: number;
  /** Draft tokens the target verifies per step (tree nodes): what each step costs the target. */
  nodesPerStep: number;
}

/**
 * Tree speculative decoding with real models; with `shape` all ones it drafts a chain. Each step
 * drafts a tree, verifies it and emits the accepted tokens plus one more.
 */
export function speculateTree(
  draft: NGramModel,
  target: NGramModel,
  prompt: readonly number[],
  length: number,
  shape: TreeShape,
  { maxNodes = Infinity, seed = 1 }: { maxNodes?: number; seed?: number } = {},
): TreeSpeculationReport {
  const random = seededRandom(seed);
  const tokens = [...prompt];
  let steps = 0;
  let expected = 0;
  let nodes = 0;
  while (tokens.length - prompt.length < length) {
    const step = treeSpeculationStep(draft, target, tokens, shape, maxNodes, random);
    tokens.push(...step.emitted);
    expected += step.expectedAccepted + 1;
    nodes += step.tree.tokens.length;
    steps++;
  }
  const emitted = tokens.length - prompt.length;
  return { tokens: tokens.slice(prompt.length), steps, tokensPerStep: emitted / steps, expectedTokensPerStep: expected / steps, nodesPerStep: nodes / steps };
}
