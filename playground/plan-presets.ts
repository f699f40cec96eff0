import { DECODE_ITEM_OVERHEAD, decodePlanDevice } from '#kernels/plan/models.ts';
import { naivePlan, plan, type Plan, type PlanBatch } from '#kernels/plan/plan.ts';
import { shareGptLike } from '#kernels/serving/workloads.ts';

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

/**
 * The most any plan of a batch could gain over its naive plan, by the model: naive's predicted time
 * over its whole cost spread evenly over the items streamed at once. Splitting adds items (each
 * with its overhead and rows), never keys, so no plan's predicted time is below that.
 */
export function planCeiling(naive: Plan): number {
  return naive.totalCost > 0 ? naive.predicted / (naive.totalCost / naive.concurrency) : 1;
}

/**
 * The balanced and naive plans the decode kernel runs for `batch` on `workgroups` slots: the same
 * model as the engine's (each item's keys plus DECODE_ITEM_OVERHEAD, at most DECODE_CONCURRENCY
 * items streaming at once), so the plans drawn are the plans measured. `chunk` forces the balanced
 * plan's keys per chunk (left out, `plan()` picks it).
 */
export function labPlans(batch: PlanBatch, workgroups: number, chunk?: number): { balanced: Plan; naive: Plan } {
  const device = decodePlanDevice(workgroups);
  const options = { itemOverhead: DECODE_ITEM_OVERHEAD };
  return { balanced: plan(batch, device, { ...options, chunk }), naive: naivePlan(batch, device, options) };
}
