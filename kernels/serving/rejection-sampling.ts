/**
 * Speculative sampling (Leviathan et al.; Chen et al.): a draft model proposes tokens, the target
 * model scores them all at once, and each is accepted with probability min(1, p/q). At the first
 * rejection a token is drawn from the normalized max(0, p − q) instead; if every draft token is
 * accepted, one bonus token is drawn from the target. The emitted tokens are distributed exactly
 * as if the target had sampled them one by one.
 */

export interface SpeculationStep {
  /** Draft tokens accepted, in order. */
  accepted: number[];
  /** Every token this step emits: the accepted ones, then the resampled or bonus token. */
  emitted: number[];
}

/**
 * `draft[i]` was sampled from `q[i]`; `p[i]` is the target's distribution at the same position,
 * and `p[draft.length]` the target's distribution after the last draft token (for the bonus).
 */
export function verifyChain(
  draft: readonly number[],
  q: readonly ArrayLike<number>[],
  p: readonly ArrayLike<number>[],
  random: () => number,
): SpeculationStep {
  if (q.length !== draft.length) throw new RangeError(`q has ${q.length} distributions for ${draft.length} draft tokens`);
  if (p.length !== draft.length + 1) throw new RangeError(`p needs ${draft.length + 1} distributions (one per draft token and one for the bonus), got ${p.length}`);
  const accepted: number[] = [];
  for (let i = 0; i < draft.length; i++) {
    const token = draft[i];
    const ratio = q[i][token] > 0 ? p[i][token] / q[i][token] : 0;
    if (random() < Math.min(1, ratio)) {
      accepted.push(token);
      continue;
    }
    const residual = Array.from(p[i], (pi, v) => Math.max(0, pi - q[i][v]));
    return { accepted, emitted: [...accepted, sample(residual, random)] };
  }
  return { accepted, emitted: [...accepted, sample(p[draft.length], random)] };
}

/** Samples an index from non-negative weights (normalized here). */
export function sample(weights: ArrayLike<number>, random: () => number): number {
  let total = 0;
  for (let i = 0; i < weights.length; i++) total += weights[i];
  if (!(total > 0)) throw new RangeError('cannot sample from weights that sum to 0');
  let r = random() * total;
  for (let i = 0; i < weights.length; i++) {
    r -= weights[i];
    if (r < 0) return i;
  }
  // Rounding left a sliver at the end: return the last index with weight.
  for (let i = weights.length - 1; i >= 0; i--) if (weights[i] > 0) return i;
  return weights.length - 1;
}

/**
 * Expected tokens emitted per step for a chain of k draft tokens when each is accepted with
 * probability alpha (independently): (1 − alpha^(k+1)) / (1 − alpha).
 */
export function expectedTokensPerStep(alpha: number, k: number): number {
  if (alpha >= 1) return k + 1;
  return (1 - alpha ** (k + 1)) / (1 - alpha);
}

/** The acceptance probability of one draft token: Σ_v min(p_v, q_v). */
export function acceptanceRate(p: ArrayLike<number>, q: ArrayLike<number>): number {
  let sum = 0;
  for (let v = 0; v < p.length; v++) sum += Math.min(p[v], q[v]);
  return sum;
}
