/**
 * Tree speculation (SpecInfer, Miao et al. 2024): the draft proposes several candidates at each
 * position, forming a token tree; the target scores every tree token in one pass (the tree
 * attention mask lets each token see only its own branch), and multi-candidate rejection sampling
 * walks down the tree. At a node the candidates are tried in draw order: candidate x is accepted
 * with probability min(1, p(x)/q(x)); after a rejection p becomes normalize(max(0, p − q)) and the
 * next candidate is tried; if all are rejected a token is drawn from what is left of p. An accepted
 * candidate's node is verified the same way; a leaf yields a bonus token from p.
 *
 * Why the output still follows the target: the candidates at a node are independent draws from q
 * (duplicates included), so the first one is accepted as token y with probability min(p, q)(y)
 * and rejected with probability 1 − Σ min(p, q); by induction the remaining candidates emit a
 * token distributed as the residual, and min(p, q) + (1 − Σ min(p, q)) · residual = p. A chain is
 * the tree with one draw per node, and then this is exactly `verifyChain`.
 */
import { sample } from './rejection-sampling.ts';

/**
 * Draws per node at each depth: `[3, 2, 1]` draws 3 candidates after the verified prefix, 2 after
 * each distinct one of those and 1 after each of theirs. A chain of k tokens is k ones.
 */
export type TreeShape = readonly number[];

export interface DraftTree {
  /** The token of each node. */
  tokens: number[];
  /** Parent pointers (see token-tree.ts): -1 continues the verified prefix; parents come first. */
  parents: number[];
  /**
   * The candidates drawn at each expansion point, in draw order, as node indices: `draws[0]` after
   * the verified prefix, `draws[i + 1]` after node i. A token drawn twice at one point is one node
   * and two draws, so the draws stay independent samples of the draft.
   */
  draws: number[][];
  /** The draft's distribution at each point (indexed like `draws`); only points with draws need one. */
  q: (ArrayLike<number> | undefined)[];
  /** The target's distribution at each point: what candidates are checked against, and where the last token comes from. */
  p: ArrayLike<number>[];
}

/** A distribution over the next token after the draft tokens `path` (which follow the verified prefix). */
export type NextToken = (path: readonly number[]) => ArrayLike<number>;

/**
 * Drafts a token tree breadth first: each node at depth d gets `shape[d]` independent draws from
 * the draft, as long as the tree has fewer than `maxNodes` nodes (a duplicate draw adds no node).
 */
export function draftTree(shape: TreeShape, draft: NextToken, target: NextToken, random: () => number, maxNodes = Infinity): DraftTree {
  shape.forEach((draws, depth) => {
    if (!Number.isInteger(draws) || draws < 1) throw new RangeError(`shape[${depth}] is ${draws}; each depth needs a whole number ≥ 1 of draws per node`);
  });
  if (!(maxNodes >= 0)) throw new RangeError(`maxNodes must be ≥ 0, got ${maxNodes}`);
  const tree: DraftTree = { tokens: [], parents: [], draws: [[]], q: [undefined], p: [target([])] };
  const paths: number[][] = [[]];
  let frontier = [-1];
  for (const drawsPerNode of shape) {
    const next: number[] = [];
    for (const point of frontier) {
      const at = point + 1;
      const children = new Map<number, number>();
      for (let d = 0; d < drawsPerNode && tree.tokens.length < maxNodes; d++) {
        const q = (tree.q[at] ??= draft(paths[at]));
        const token = sample(q, random);
        let node = children.get(token);
        if (node === undefined) {
          node = tree.tokens.length;
          children.set(token, node);
          const path = [...paths[at], token];
          tree.tokens.push(token);
          tree.parents.push(point);
          tree.draws.push([]);
          tree.q.push(undefined);
          tree.p.push(target(path));
          paths.push(path);
          next.push(node);
        }
        tree.draws[at].push(node);
      }
    }
    frontier = next;
  }
  return tree;
}

export interface TreeStep {
  /** Nodes accepted, from the root down. */
  path: number[];
  /** Candidates tried and rejected, as nodes, in the order they were tried. */
  rejected: number[];
  /** The accepted draft tokens. */
  accepted: number[];
  /** Every token this step emits: the accepted ones, then the resampled or bonus token. */
  emitted: number[];
}

/** Multi-candidate rejection sampling down a drafted tree (see the top of this file). */
export function verifyTree(tree: DraftTree, random: () => number): TreeStep {
  checkTree(tree);
  const path: number[] = [];
  const rejected: number[] = [];
  let at = 0;
  for (;;) {
    let residual = tree.p[at];
    let next = -1;
    for (const node of tree.draws[at]) {
      const q = tree.q[at]!;
      if (random() < acceptProbability(residual, q, tree.tokens[node])) {
        next = node;
        break;
      }
      rejected.push(node);
      residual = subtractNormalized(residual, q);
    }
    if (next === -1) {
      const accepted = path.map((node) => tree.tokens[node]);
      return { path, rejected, accepted, emitted: [...accepted, sample(residual, random)] };
    }
    path.push(next);
    at = next + 1;
  }
}

/**
 * The expected number of draft tokens `verifyTree` accepts from this tree, exactly: the residual
 * after a rejection does not depend on which candidate was rejected, so each candidate's chance
 * of being the accepted one is a product of known factors.
 */
export function expectedAccepted(tree: DraftTree): number {
  checkTree(tree);
  const fromPoint = (at: number): number => {
    let residual = tree.p[at];
    let reach = 1;
    let expected = 0;
    for (const node of tree.draws[at]) {
      const q = tree.q[at]!;
      const accept = acceptProbability(residual, q, tree.tokens[node]);
      expected += reach * accept * (1 + fromPoint(node + 1));
      reach *= 1 - accept;
      residual = subtractNormalized(residual, q);
    }
    return expected;
  };
  return fromPoint(0);
}

function acceptProbability(p: ArrayLike<number>, q: ArrayLike<number>, token: number): number {
  return q[token] > 0 ? Math.min(1, p[token] / q[token]) : 0;
}

/**
 * normalize(max(0, p − q)). Both sum to 1, so the difference has no mass only when p equals q up
 * to rounding, where a rejection had probability 0: p is then kept.
 */
function subtractNormalized(p: ArrayLike<number>, q: ArrayLike<number>): Float64Array {
  const out = new Float64Array(p.length);
  let total = 0;
  for (let v = 0; v < p.length; v++) total += out[v] = Math.max(0, p[v] - q[v]);
  if (!(total > 0)) return Float64Array.from(p);
  for (let v = 0; v < p.length; v++) out[v] /= total;
  return out;
}

function checkTree(tree: DraftTree): void {
  const n = tree.tokens.length;
  if (tree.parents.length !== n || tree.draws.length !== n + 1 || tree.p.length !== n + 1 || tree.q.length !== n + 1) {
    throw new RangeError(`a tree of ${n} nodes needs ${n} parents and ${n + 1} draws, q and p (one per node and one for the verified prefix)`);
  }
  tree.draws.forEach((draws, at) => {
    if (draws.length && !tree.q[at]) throw new RangeError(`point ${at} has draws but no draft distribution`);
    for (const node of draws) {
      if (tree.parents[node] !== at - 1) throw new RangeError(`draw of node ${node} at point ${at}: that node's parent is ${tree.parents[node]}, not ${at - 1}`);
    }
  });
}
