import { seededRandom } from '../formats/random.ts';

/** A request of a workload: when it arrives, how long its prompt is, how many tokens it generates. */
export interface WorkloadRequest {
  id: number;
  arrivalMs: number;
  promptLen: number;
  outputLen: number;
}

/** A standard normal draw (Box–Muller). */
function normal(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/**
 * ShareGPT-like lengths without downloading ShareGPT: log-normal prompt and output lengths whose
 * medians and spreads follow the conversation statistics reported for it (prompts median ~90
 * tokens with a long tail, outputs median ~200), clipped to [4, maxLen]:
 *   promptLen = exp(N(ln 90, 1.1)),  outputLen = exp(N(ln 200, 0.9)).
 */
export const SHAREGPT_LIKE = { promptMedian: 90, promptSigma: 1.1, outputMedian: 200, outputSigma: 0.9 } as const;

export function shareGptLike(count: number, seed = 1, maxLen = 2048): Omit<WorkloadRequest, 'arrivalMs'>[] {
  const random = seededRandom(seed);
  const clip = (x: number) => Math.min(maxLen, Math.max(4, Math.round(x)));
  return Array.from({ length: count }, (_, id) => ({
    id,
    promptLen: clip(Math.exp(Math.log(SHAREGPT_LIKE.promptMedian) + SHAREGPT_LIKE.promptSigma * normal(random))),
    outputLen: clip(Math.exp(Math.log(SHAREGPT_LIKE.outputMedian) + SHAREGPT_LIKE.outputSigma * normal(random))),
  }));
}

/** Prompt and output lengths uniform in [min, max] (the 512–2048 workload of the evaluation lesson). */
export function uniformLengths(count: number, min = 512, max = 2048, seed = 1): Omit<WorkloadRequest, 'arrivalMs'>[] {
  const random = seededRandom(seed);
  const draw = () => min + Math.floor(random() * (max - min + 1));
  return Array.from({ length: count }, (_, id) => ({ id, promptLen: draw(), outputLen: draw() }));
}

/** Poisson arrivals at `ratePerSecond`: exponential gaps, starting at time 0. */
export function poissonArrivals<T extends Omit<WorkloadRequest, 'arrivalMs'>>(requests: readonly T[], ratePerSecond: number, seed = 1): (T & { arrivalMs: number })[] {
  if (!(ratePerSecond > 0)) throw new RangeError(`ratePerSecond must be > 0, got ${ratePerSecond}`);
  const random = seededRandom(seed);
  let time = 0;
  return requests.map((request) => {
    const at = time;
    time += (-Math.log(Math.max(random(), 1e-12)) / ratePerSecond) * 1000;
    return { ...request, arrivalMs: at };
  });
}
