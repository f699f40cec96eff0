import type { WorkloadRequest } from './workloads.ts';

/**
 * Time of one iteration (one forward pass over a batch), linear in its work:
 *   fixedMs + perTokenMs · (prefill + decode tokens) + perKvTokenMs · (keys decodes read)
 *   + perPrefillPairMs · (query-key pairs of prefill attention).
 * Decode attention is memory-bound (a cost per key read); prefill attention is compute-bound (a
 * much smaller cost per pair). Fit it to measured timings with `fitCostModel`.
 */
export interface CostModel {
  fixedMs: number;
  perTokenMs: number;
  perKvTokenMs: number;
  perPrefillPairMs: number;
}

/**
 * Illustrative constants of the order of a 7B model on one large GPU (an assumption, not a
 * measurement): 8 ms per iteration, 0.06 ms per token processed, 0.2 µs per key a decode reads,
 * 2 ns per query-key pair of prefill attention. `costModelFromTable` (calibration.ts) fits the attention
terms to measured kernels instead.
 */
export const DEFAULT_COST: CostModel = { fixedMs: 8, perTokenMs: 0.06, perKvTokenMs: 0.0002, perPrefillPairMs: 0.000002 };

export interface IterationSample {
  tokens: number;
  kvTokens: number;
  prefillPairs: number;
  ms: number;
}

/**
 * Fits a CostModel to measured iterations by non-negative least squares on relative errors
 * (Σ ((model − measured) / measured)²): timings span orders of magnitude, and a plain fit would
 * let a 75 ms prefill drown a 0.3 ms decode. Terms are kept ≥ 0, since a negative one would mean
 * more work takes less time, which a noisy fit can otherwise produce. With four terms the exact
 * optimum is found by trying every subset of terms. Columns are scaled to a largest entry of 1
 * first, so whether the measurements determine the model does not depend on units.
 */
export function fitCostModel(samples: readonly IterationSample[]): CostModel {
  if (samples.length < 4) throw new RangeError('fitting a cost model needs at least 4 measured iterations');
  samples.forEach((s, i) => {
    if (![s.tokens, s.kvTokens, s.prefillPairs].every((x) => Number.isFinite(x) && x >= 0) || !(s.ms > 0 && Number.isFinite(s.ms))) {
      throw new RangeError(`measured iteration ${i} needs counts ≥ 0 and a time > 0 ms: ${JSON.stringify(s)}`);
    }
  });
  // Each row divided by its measured time: the residuals are then relative errors.
  const raw = samples.map((s) => [1, s.tokens, s.kvTokens, s.prefillPairs].map((x) => x / s.ms));
  const scale = [0, 1, 2, 3].map((j) => Math.max(...raw.map((r) => r[j])) || 1);
  const rows = raw.map((r) => r.map((x, j) => x / scale[j]));
  const ms = samples.map(() => 1);
  if (!leastSquares(rows, ms, [0, 1, 2, 3])) {
    throw new RangeError('the measurements do not determine the cost model: vary tokens, keys read and prefill lengths');
  }
  let best = { residual: Infinity, coefficients: [0, 0, 0, 0] };
  for (let subset = 1; subset < 16; subset++) {
    const columns = [0, 1, 2, 3].filter((j) => subset & (1 << j));
    const fitted = leastSquares(rows, ms, columns);
    if (!fitted || fitted.some((c) => c < 0)) continue;
    const coefficients = [0, 0, 0, 0];
    columns.forEach((j, i) => (coefficients[j] = fitted[i]));
    const residual = rows.reduce((sum, r, k) => sum + (r.reduce((t, x, j) => t + x * coefficients[j], 0) - ms[k]) ** 2, 0);
    if (residual < best.residual) best = { residual, coefficients };
  }
  const [fixedMs, perTokenMs, perKvTokenMs, perPrefillPairMs] = best.coefficients.map((c, j) => c / scale[j]);
  return { fixedMs, perTokenMs, perKvTokenMs, perPrefillPairMs };
}

/** Least squares on the given columns (normal equations, Gaussian elimination); undefined when they are dependent. */
function leastSquares(rows: readonly number[][], y: readonly number[], columns: readonly number[]): number[] | undefined {
  const n = columns.length;
  const a = columns.map((i) => [...columns.map((j) => rows.reduce((sum, r) => sum + r[i] * r[j], 0)), rows.reduce((sum, r, k) => sum + r[i] * y[k], 0)]);
  const size = Math.max(...a.map((row, i) => Math.abs(row[i])));
  for (let col = 0; col < n; col++) {
    const pivot = a.slice(col).reduce((best, row, i) => (Math.abs(row[col]) > Math.abs(a[best][col]) ? col + i : best), col);
    [a[col], a[pivot]] = [a[pivot], a[col]];
    if (!(Math.abs(a[col][col]) > 1e-10 * size)) return undefined;
    for (let row = 0; row < n; row++) {
      if (row === col) continue;
      const f = a[row][col] / a[col][col];
      for (let k = col; k <= n; k++) a[row][k] -= f * a[col][k];
    }
  }
  return a.map((row, i) => row[n] / row[i]);
}

export type Policy = 'prefill-first' | 'decode-first' | 'sarathi';

/** A request the scheduler has admitted: its KV cache is held until its last output token. */
export interface RunningRequest {
  id: number;
  arrivalMs: number;
  promptLen: number;
  outputLen: number;
  /** Prompt tokens processed so far; the request decodes once this reaches promptLen. */
  prefilled: number;
  /** Output tokens produced so far (the pass that finishes the prompt produces the first). */
  generated: number;
}

/** A request that has arrived and waits to be admitted. */
export interface WaitingRequest {
  id: number;
  arrivalMs: number;
  promptLen: number;
  outputLen: number;
}

/** What a scheduler sees before each iteration (fresh copies: changing them changes nothing). */
export interface SchedulerState {
  nowMs: number;
  /** Sarathi-Serve's token budget per iteration (decodes plus prompt tokens); other policies may ignore it. */
  tokenBudget: number;
  /** Most requests running at once (the KV memory limit, in requests). */
  maxRunning: number;
  /** Admitted requests, in the order they were admitted. */
  running: RunningRequest[];
  /** Arrived, not yet admitted, in arrival order. */
  waiting: WaitingRequest[];
}

/**
 * One iteration's batch: prompt tokens per request (a whole prompt or a chunk; naming a waiting
 * request admits it) and the ids of running requests that decode one token each.
 */
export interface ScheduledBatch {
  prefill: { id: number; tokens: number }[];
  decodes: number[];
}

/** A batching policy: called before every iteration, it chooses the iteration's batch. */
export type SchedulePolicy = (state: SchedulerState) => ScheduledBatch;

export interface SchedulerOptions {
  /** A built-in policy by name, or your own. */
  policy: Policy | SchedulePolicy;
  cost?: CostModel;
  /** Sarathi-Serve's token budget per iteration (decodes plus prefill chunks); default 512. */
  tokenBudget?: number;
  /** Most requests running at once (the KV memory limit, in requests); default 64. */
  maxRunning?: number;
}

/** What one iteration did, for the batch timeline view. */
export interface Iteration {
  startMs: number;
  ms: number;
  /** Prefill tokens per request id in this iteration (a chunk or a whole prompt). */
  prefill: { id: number; tokens: number }[];
  decodes: number[];
}

export interface RequestMetrics {
  id: number;
  ttftMs: number;
  /** Gaps between consecutive output tokens. */
  tbtMs: number[];
  finishMs: number;
}

export interface SimulationResult {
  iterations: Iteration[];
  requests: RequestMetrics[];
  makespanMs: number;
  /** Output tokens per second over the makespan. */
  throughput: number;
}

/** A batch a policy returned that the simulator cannot run, with the iteration and the reason. */
export class ScheduleError extends Error {
  constructor(
    readonly iteration: number,
    readonly nowMs: number,
    reason: string,
  ) {
    super(`iteration ${iteration} (at ${nowMs.toFixed(1)} ms): ${reason}`);
    this.name = 'ScheduleError';
  }
}

const promptLeft = (r: RunningRequest | WaitingRequest) => r.promptLen - ('prefilled' in r ? r.prefilled : 0);
const isDecoding = (r: RunningRequest) => r.prefilled === r.promptLen;

/**
 * Prefill-first: whenever prompts wait, an iteration prefills them whole (admitting up to the
 * running limit) and running decodes wait: high throughput, long stalls between tokens (vLLM's
 * default before chunked prefill).
 */
export function prefillFirst(state: SchedulerState): ScheduledBatch {
  const admitted = state.waiting.slice(0, Math.max(0, state.maxRunning - state.running.length));
  const prompts = [...state.running.filter((r) => promptLeft(r) > 0), ...admitted];
  if (prompts.length) return { prefill: prompts.map((r) => ({ id: r.id, tokens: promptLeft(r) })), decodes: [] };
  return { prefill: [], decodes: state.running.filter(isDecoding).map((r) => r.id) };
}

/** Decode-first: running requests decode; a new prompt is admitted only when none are running: smooth token gaps, low throughput. */
export function decodeFirst(state: SchedulerState): ScheduledBatch {
  if (!state.running.length && state.waiting.length) return { prefill: [{ id: state.waiting[0].id, tokens: state.waiting[0].promptLen }], decodes: [] };
  return {
    prefill: state.running.filter((r) => promptLeft(r) > 0).map((r) => ({ id: r.id, tokens: promptLeft(r) })),
    decodes: state.running.filter(isDecoding).map((r) => r.id),
  };
}

/**
 * Sarathi-Serve's stall-free batching: every iteration runs all decodes, then fills the rest of the
 * token budget with prompt chunks, first come first served (admitting up to the running limit).
 */
export function sarathi(state: SchedulerState): ScheduledBatch {
  const decodes = state.running.filter(isDecoding).map((r) => r.id);
  let room = state.tokenBudget - decodes.length;
  let running = state.running.length;
  const prefill: ScheduledBatch['prefill'] = [];
  for (const r of [...state.running, ...state.waiting]) {
    if (room <= 0) break;
    const left = promptLeft(r);
    if (left <= 0) continue;
    if (!('prefilled' in r)) {
      if (running >= state.maxRunning) break;
      running++;
    }
    const tokens = Math.min(left, room);
    prefill.push({ id: r.id, tokens });
    room -= tokens;
  }
  return { prefill, decodes };
}

/** The built-in policies, by name. */
export const POLICIES: Readonly<Record<Policy, SchedulePolicy>> = { 'prefill-first': prefillFirst, 'decode-first': decodeFirst, sarathi };

interface Running {
  request: WorkloadRequest;
  prefilled: number;
  generated: number;
  tokenTimes: number[];
}

/**
 * Iteration-level batching: before each iteration the policy picks the batch, the cost model
 * times it, and every request's tokens are stamped with the iteration's end. A batch the
 * simulator cannot run (a decode of a request still prefilling, more prompt tokens than are
 * left, too many admitted, an empty batch while work waits) throws a ScheduleError naming the
 * iteration. Every non-empty batch makes progress, so the simulation ends.
 */
export function simulate(workload: readonly WorkloadRequest[], options: SchedulerOptions): SimulationResult {
  const cost = options.cost ?? DEFAULT_COST;
  const tokenBudget = options.tokenBudget ?? 512;
  const maxRunning = options.maxRunning ?? 64;
  const policy = typeof options.policy === 'function' ? options.policy : POLICIES[options.policy];
  if (!policy) throw new RangeError(`no policy '${String(options.policy)}'; the built-in ones are ${Object.keys(POLICIES).join(', ')}`);
  for (const request of workload) {
    if (!(Number.isInteger(request.promptLen) && request.promptLen >= 1 && Number.isInteger(request.outputLen) && request.outputLen >= 1)) {
      throw new RangeError(`request ${request.id} needs a prompt and at least one output token, in whole tokens`);
    }
  }
  const pending = [...workload].sort((a, b) => a.arrivalMs - b.arrivalMs || a.id - b.id);
  const waiting: WorkloadRequest[] = [];
  const running: Running[] = [];
  const done: RequestMetrics[] = [];
  const iterations: Iteration[] = [];
  let now = 0;
  while (pending.length || waiting.length || running.length) {
    if (!running.length && !waiting.length && pending[0].arrivalMs > now) now = pending[0].arrivalMs;
    while (pending.length && pending[0].arrivalMs <= now) waiting.push(pending.shift()!);
    const state: SchedulerState = {
      nowMs: now,
      tokenBudget,
      maxRunning,
      running: running.map((r) => ({ ...r.request, prefilled: r.prefilled, generated: r.generated })),
      waiting: waiting.map((r) => ({ ...r })),
    };
    const batch = checkBatch(policy(state), running, waiting, maxRunning, iterations.length, now);
    const prefilledBefore = new Map(running.map((r) => [r.request.id, r.prefilled]));
    for (const p of batch.prefill) {
      if (prefilledBefore.has(p.id)) continue;
      const at = waiting.findIndex((r) => r.id === p.id);
      running.push({ request: waiting[at], prefilled: 0, generated: 0, tokenTimes: [] });
      waiting.splice(at, 1);
      prefilledBefore.set(p.id, 0);
    }
    const byId = new Map(running.map((r) => [r.request.id, r]));
    const decodes = batch.decodes.map((id) => byId.get(id)!);
    const tokens = batch.prefill.reduce((sum, p) => sum + p.tokens, 0) + decodes.length;
    const kvTokens = decodes.reduce((sum, r) => sum + r.request.promptLen + r.generated, 0);
    // A chunk's queries attend to the earlier chunks and causally to themselves.
    const prefillPairs = batch.prefill.reduce((sum, p) => sum + p.tokens * ((p.tokens + 1) / 2 + prefilledBefore.get(p.id)!), 0);
    const ms = cost.fixedMs + cost.perTokenMs * tokens + cost.perKvTokenMs * kvTokens + cost.perPrefillPairMs * prefillPairs;
    iterations.push({ startMs: now, ms, prefill: batch.prefill.map((p) => ({ ...p })), decodes: [...batch.decodes] });
    now += ms;
    for (const p of batch.prefill) {
      const r = byId.get(p.id)!;
      r.prefilled += p.tokens;
      // The pass that finishes a prompt also yields its first output token.
      if (r.prefilled === r.request.promptLen) emit(r, now);
    }
    for (const r of decodes) emit(r, now);
    for (let i = running.length - 1; i >= 0; i--) {
      const r = running[i];
      if (r.generated >= r.request.outputLen) {
        done.push({
          id: r.request.id,
          ttftMs: r.tokenTimes[0] - r.request.arrivalMs,
          tbtMs: r.tokenTimes.slice(1).map((t, k) => t - r.tokenTimes[k]),
          finishMs: now,
        });
        running.splice(i, 1);
      }
    }
  }
  const outputTokens = workload.reduce((sum, r) => sum + r.outputLen, 0);
  return { iterations, requests: done.sort((a, b) => a.id - b.id), makespanMs: now, throughput: outputTokens / (now / 1000) };
}

/** The policy's batch, checked against the state it was chosen for; a ScheduleError says what is wrong. */
function checkBatch(batch: unknown, running: readonly Running[], waiting: readonly WorkloadRequest[], maxRunning: number, iteration: number, now: number): ScheduledBatch {
  const fail = (reason: string): never => {
    throw new ScheduleError(iteration, now, reason);
  };
  const shape = 'the schedule must return { prefill: [{ id, tokens }, ...], decodes: [id, ...] }';
  if (typeof batch !== 'object' || batch === null) fail(`${shape}; it returned ${describe(batch)}`);
  if (typeof (batch as { then?: unknown }).then === 'function') fail(`${shape} at once; it returned a promise (the schedule must not be async)`);
  const { prefill, decodes } = batch as Record<string, unknown>;
  if (!Array.isArray(prefill)) fail(`${shape}; its prefill is ${describe(prefill)}`);
  if (!Array.isArray(decodes)) fail(`${shape}; its decodes is ${describe(decodes)}`);
  const runningById = new Map(running.map((r) => [r.request.id, r]));
  const waitingById = new Map(waiting.map((r) => [r.id, r]));
  const seen = new Set<number>();
  let admitted = 0;
  // Array.from: a hole in a sparse array reads as undefined (map would skip it).
  const checkedPrefill = Array.from(prefill as unknown[]).map((entry, i) => {
    const where = `prefill[${i}]`;
    if (typeof entry !== 'object' || entry === null) return fail(`${where} is ${describe(entry)}, not { id, tokens }`);
    const { id, tokens } = entry as Record<string, unknown>;
    if (typeof id !== 'number') return fail(`${where}.id is ${describe(id)}, not a request id`);
    if (seen.has(id)) fail(`${where} names request ${id} a second time in one batch`);
    seen.add(id);
    const r = runningById.get(id);
    const w = waitingById.get(id);
    if (!r && !w) fail(`${where} names request ${id}, which is neither running nor waiting (${choices(running, waiting)})`);
    const left = r ? r.request.promptLen - r.prefilled : w!.promptLen;
    if (left === 0) fail(`${where} gives prompt tokens to request ${id}, whose prompt is done (it decodes now)`);
    if (!(typeof tokens === 'number' && Number.isInteger(tokens) && tokens >= 1 && tokens <= left)) {
      fail(`${where}.tokens is ${describe(tokens)}; request ${id} has ${left} prompt token${left === 1 ? '' : 's'} left, so it takes a whole number from 1 to ${left}`);
    }
    if (w) admitted++;
    return { id, tokens: tokens as number };
  });
  if (running.length + admitted > maxRunning) {
    fail(`the batch admits ${admitted} waiting request${admitted === 1 ? '' : 's'} beside ${running.length} running, over the limit of ${maxRunning} running at once (maxRunning)`);
  }
  const decoding = new Set<number>();
  const checkedDecodes = Array.from(decodes as unknown[]).map((id, i) => {
    const where = `decodes[${i}]`;
    if (typeof id !== 'number') return fail(`${where} is ${describe(id)}, not a request id`);
    const r = runningById.get(id);
    if (!r) fail(`${where} names request ${id}, which is not running${waitingById.has(id) ? ' (it waits: prefill its prompt first)' : ' (not arrived yet, or finished)'}`);
    if (r!.prefilled < r!.request.promptLen) fail(`${where} names request ${id}, which is still prefilling (${r!.prefilled} of ${r!.request.promptLen} prompt tokens done)`);
    if (decoding.has(id)) fail(`${where} names request ${id} a second time in one batch`);
    decoding.add(id);
    return id;
  });
  if (!checkedPrefill.length && !checkedDecodes.length) {
    fail(`the schedule returned an empty batch with ${running.length} running and ${waiting.length} waiting: nothing would ever finish`);
  }
  return { prefill: checkedPrefill, decodes: checkedDecodes };
}

/** The ids a batch may name now, in words. */
function choices(running: readonly Running[], waiting: readonly WorkloadRequest[]): string {
  const list = (ids: number[]) => (ids.length ? (ids.length > 8 ? `${ids.slice(0, 8).join(', ')} and ${ids.length - 8} more` : ids.join(', ')) : 'none');
  return `running: ${list(running.map((r) => r.request.id))}; waiting: ${list(waiting.map((r) => r.id))}`;
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function emit(r: Running, time: number): void {
  r.generated++;
  r.tokenTimes.push(time);
}

/** The q-quantile (0 … 1) of values, by linear interpolation; NaN for none. */
export function quantile(values: readonly number[], q: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const at = q * (sorted.length - 1);
  const lo = Math.floor(at);
  return sorted[lo] + (sorted[Math.min(lo + 1, sorted.length - 1)] - sorted[lo]) * (at - lo);
}

/** TTFT and TBT percentiles and throughput of a simulation. */
export function summarize(result: SimulationResult): { ttftP50: number; ttftP99: number; tbtP50: number; tbtP99: number; throughput: number } {
  const ttft = result.requests.map((r) => r.ttftMs);
  const tbt = result.requests.flatMap((r) => r.tbtMs);
  return { ttftP50: quantile(ttft, 0.5), ttftP99: quantile(ttft, 0.99), tbtP50: quantile(tbt, 0.5), tbtP99: quantile(tbt, 0.99), throughput: result.throughput };
}
