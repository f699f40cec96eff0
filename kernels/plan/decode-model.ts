import type { PlanDevice } from './plan.ts';

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
