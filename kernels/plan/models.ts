import { plan, type Plan, type PlanBatch, type PlanDevice, type PlanOptions, type PlanShape } from './plan.ts';

// Plan models of the engine's kernels: the settings plan() predicts their times with, fitted to
// plans timed on an H100 (BENCHMARKS.md, fourth session).

/**
 * Workgroups a decode plan fills when no setting says otherwise (each walks its own list of
 * items). WebGPU does not report a GPU's compute units. On an H100 the uniform 64 × 4096-key batch
 * ran at 0.91 of streaming read with 1024 workgroups (keys split in two) against 0.37 with 512
 * unsplit ones (second session, BENCHMARKS.md): the decode kernel needs many workgroups in flight
 * to keep enough reads outstanding. More slots than the GPU hosts cost little: the ShareGPT-like
 * sweep ran alike with 264 to 2112.
 */
export const DEFAULT_PLAN_WORKGROUPS = 1024;

/**
 * The decode kernel's plan model, fitted on an H100 (BENCHMARKS.md): an item costs its keys plus
 * 128 (the start-up and write-out of a workgroup's item, about 6 µs at the 48 ns a key takes one
 * streaming workgroup), and the GPU streams about 183 items at once at that rate (its bandwidth
 * over one workgroup's). Of the overheads 0–384 and concurrencies 132–528 tried, these fit 14
 * timed plans of two ShareGPT-like batches (64 and 16 requests, chunks of 64 keys to unsplit, and
 * the naive plan) best: 48 ns per cost unit plus 21 µs, R² 0.97. The makespan alone (overhead 0,
 * every slot in parallel) fit at R² 0.26, and the planner it drove chose 256-key chunks that ran
 * 1.3× slower than 1024-key ones.
 */
export const DECODE_ITEM_OVERHEAD = 128;
export const DECODE_CONCURRENCY = 183;

/** The plan device of the decode kernel for `workgroups` slots: the fitted concurrency, at most one item per slot. */
export function decodePlanDevice(workgroups = DEFAULT_PLAN_WORKGROUPS, concurrency = DECODE_CONCURRENCY): PlanDevice {
  return { workgroups, concurrency: Math.min(workgroups, concurrency) };
}

/**
 * The register-tiled prefill kernel's plan model. Its items are query tiles of every head at once
 * (the kernel runs all heads of an item), so plans are made with `itemHeads` = all query heads on
 * `workgroups / heads` slots. Fitted to 30 plans of six causal batches (appends onto long caches,
 * full prefills, a mixed batch; chunks of 256 keys to unsplit): no item overhead, and about 198
 * 128-row or 396 64-row tiles (256 or 128 threads) computing at once, R² 0.88 for the 128-row
 * batches. Compute-bound tiles share the GPU, so the throughput bound decides most batches.
 */
export const PREFILL_CONCURRENCY = { 64: 396, 128: 198 } as const;

/** A plan for prefill runs only where it predicts at least this gain over the default launch. */
export const AUTO_PLAN_GAIN = 1.25;

/** The plan device and options of the tiled prefill kernel at `tileRows` rows for `numQoHeads` heads. */
export function prefillPlanModel(tileRows: 64 | 128, numQoHeads: number, workgroups = DEFAULT_PLAN_WORKGROUPS): { device: PlanDevice; options: PlanOptions } {
  const stripes = (n: number) => Math.max(1, Math.round(n / numQoHeads));
  return {
    device: { workgroups: stripes(workgroups), concurrency: Math.min(stripes(workgroups), stripes(PREFILL_CONCURRENCY[tileRows])) },
    options: { qoTile: tileRows, itemHeads: numQoHeads },
  };
}

/**
 * The plan a prefill, append or mixed batch runs when it asks for none: the balanced plan where it
 * splits keys and predicts at least AUTO_PLAN_GAIN over the unsplit plan (the kernel's default
 * launch: one workgroup per query tile, longest first), else undefined (the default launch). On
 * the H100 sweep this planned both appends onto long caches (measured 1.8x and 3.9x) and one batch
 * that gained 1.02x, and left full prefills on the default launch.
 */
export function autoPrefillPlan(shape: PlanBatch | PlanShape, tileRows: 64 | 128, workgroups = DEFAULT_PLAN_WORKGROUPS): Plan | undefined {
  const { device, options } = prefillPlanModel(tileRows, shape.numQoHeads, workgroups);
  const balanced = plan(shape, device, options);
  if (balanced.chunkSize === 0) return undefined;
  const unsplit = plan(shape, device, { ...options, chunk: Math.max(1, ...shape.kvLens) });
  return unsplit.predicted >= AUTO_PLAN_GAIN * balanced.predicted ? balanced : undefined;
}
