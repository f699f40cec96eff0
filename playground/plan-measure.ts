import { createEngine, median, pageBatch, randomBatch, type Engine } from '#kernels/index.ts';
import { presetKvLens, type PlanPreset } from './plan-presets.ts';

/** Rounds of the measurement: each times the naive plan, then the balanced one, so drift affects both alike. */
export const MEASURE_ROUNDS = 3;

export interface PlanMeasurement {
  device: string;
  source: 'timestamp' | 'wall';
  /** GPU (or wall) milliseconds of each round. */
  balancedMs: number[];
  naiveMs: number[];
  balancedItems: number;
  naiveItems: number;
  /** Naive over balanced predicted makespan of the plans that ran. */
  predicted: number;
}

/**
 * A WebGPU engine whose decode plans fill `workgroups` workgroups, or the reason there is none
 * (the measurement needs the GPU: the CPU reference has no workgroups to balance).
 */
export async function planEngine(workgroups: number): Promise<{ engine: Engine } | { reason: string }> {
  try {
    return { engine: await createEngine({ backend: 'webgpu', planWorkgroups: workgroups }) };
  } catch (error) {
    return { reason: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Times a preset's decode batch (one query per request, `heads` query heads each with its own KV
 * head, head dim 64, pages of 16) on the decode kernel under the balanced and the naive plan. With
 * one query head per KV head the plans that run are the ones the view draws. With timestamp
 * queries each round is the median of 10 back-to-back runs after a short warm-up; without, the
 * wall time of one run.
 */
export async function measurePlans(
  engine: Engine,
  preset: PlanPreset,
  heads: number,
  options: { signal?: AbortSignal; onProgress?: (done: number, now: string) => void } = {},
): Promise<PlanMeasurement> {
  const kvLens = presetKvLens(preset);
  const args = pageBatch(randomBatch({ qoLens: kvLens.map(() => 1), kvLens, numQoHeads: heads, numKvHeads: heads, headDim: 64, causal: true, seed: 1 }), 16, 1);
  const times = { balanced: [] as number[], naive: [] as number[] };
  const predictedTimes = { balanced: 0, naive: 0 };
  const items = { balanced: 0, naive: 0 };
  let source: PlanMeasurement['source'] = 'timestamp';
  let done = 0;
  for (let round = 0; round < MEASURE_ROUNDS; round++) {
    for (const choice of ['naive', 'balanced'] as const) {
      options.signal?.throwIfAborted();
      options.onProgress?.(done, `${choice} plan, round ${round + 1}${round === 0 && choice === 'naive' ? ' (compiling the kernel)' : ''}`);
      const result = engine.hasTimestamps
        ? await engine.benchmark({ ...args, plan: choice }, { runs: 10, warmupMs: 100 })
        : await engine.run({ ...args, plan: choice });
      if (result.timing?.source !== 'timestamp') source = 'wall';
      times[choice].push(result.timing?.ms ?? NaN);
      predictedTimes[choice] = result.plan?.predicted ?? NaN;
      items[choice] = result.plan?.items.length ?? 0;
      options.onProgress?.(++done, `${choice} plan: ${median(times[choice]).toFixed(3)} ms`);
    }
  }
  return {
    device: engine.description,
    source,
    balancedMs: times.balanced,
    naiveMs: times.naive,
    balancedItems: items.balanced,
    naiveItems: items.naive,
    predicted: predictedTimes.naive / predictedTimes.balanced,
  };
}
