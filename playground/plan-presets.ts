import { shareGptLike, type PlanBatch } from '#kernels/index.ts';

/** Decode batches for the plan view: one query per request, KV lengths by preset. */
export type PlanPreset = 'skewed' | 'sharegpt' | 'uniform';

export const PLAN_PRESETS: { id: PlanPreset; name: string }[] = [
  { id: 'skewed', name: 'skewed: 1 request with 8192 keys + 31 with 256' },
  { id: 'sharegpt', name: 'ShareGPT-like: 32 requests at their last decode step' },
  { id: 'uniform', name: 'uniform: 32 requests with 1024 keys' },
];

/** KV lengths of a preset's 32 requests; ShareGPT-like ones are prompt + output (the cache at the last decode step). */
export function presetKvLens(preset: PlanPreset): number[] {
  if (preset === 'skewed') return [8192, ...Array<number>(31).fill(256)];
  if (preset === 'uniform') return Array<number>(32).fill(1024);
  return shareGptLike(32, 7).map((r) => r.promptLen + r.outputLen);
}

export function presetBatch(preset: PlanPreset, numQoHeads: number): PlanBatch {
  const kvLens = presetKvLens(preset);
  return { qoLens: kvLens.map(() => 1), kvLens, numQoHeads };
}
