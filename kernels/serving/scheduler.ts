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
 * 2 ns per query-key pair of prefill attention. Refit them to a GPU's own timings with `fitCostModel`.
 */
export const DEFAULT_COST: CostModel = { fixedMs: 8, perTokenMs: 0.06, perKvTokenMs: 0.0002, perPrefillPairMs: 0.000002 };

export interface IterationSample {
  tokens: number;
  kvTokens: number;
  prefillPairs: number;
  ms: number;
}

/** Least-squares fit of a CostModel to measured iterations (normal equations, Gaussian elimination). */
export function fitCostModel(samples: readonly IterationSample[]): CostModel {
  if (samples.length < 4) throw new RangeError('fitting a cost model needs at least 4 measured iterations');
  const rows = samples.map((s) => [1, s.tokens, s.kvTokens, s.prefillPairs]);
  const n = 4;
  const a = Array.from({ length: n }, (_, i) => [
    ...Array.from({ length: n }, (_, j) => rows.reduce((sum, r) => sum + r[i] * r[j], 0)),
    rows.reduce((sum, r, k) => sum + r[i] * samples[k].ms, 0),
  ]);
  for (let col = 0; col < n; col++) {
    const pivot = a.slice(col).reduce((best, row, i) => (Math.abs(row[col]) > Math.abs(a[best][col]) ? col + i : best), col);
    [a[col], a[pivot]] = [a[pivot], a[col]];
    if (Math.abs(a[col][col]) < 1e-12 * Math.max(1, Math.abs(a[0][0]))) {
      throw new RangeError('the measurements do not determine the cost model: vary tokens, keys read and prefill lengths');
    }
    for (let row = 0; row < n; row++) {
      if (row === col) continue;
      const f = a[row][col] / a[col][col];
      for (let k = col; k <= n; k++) a[row][k] -= f * a[col][k];
    }
  }
  const [fixedMs, perTokenMs, perKvTokenMs, perPrefillPairMs] = a.map((row, i) => row[n] / row[i]);
  return { fixedMs, perTokenMs, perKvTokenMs, perPrefillPairMs };
}

export type Policy = 'prefill-first' | 'decode-first' | 'sarathi';

export interface SchedulerOptions {
  policy: Policy;
  cost?: CostModel;
  /** Sarathi-Serve's token budget per iteration (decodes plus prefill chunks). */
  tokenBudget?: number;
  /** Most requests running at once (the KV memory limit, in requests). */
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

interface Running {
  request: WorkloadRequest;
  prefilled: number;
  generated: number;
  tokenTimes: number[];
}

/**
 * Iteration-level batching under three policies:
 * - prefill-first: whenever requests wait, an iteration prefills whole prompts (up to the running
 *   limit) and running decodes wait: high throughput, long stalls between tokens (vLLM's default);
 * - decode-first: running requests decode; a new prompt is admitted only when none are running:
 *   smooth token gaps, low throughput;
 * - sarathi: every iteration runs all decodes plus prompt chunks up to the token budget
 *   (stall-free batching with chunked prefill, Sarathi-Serve).
 */
export function simulate(workload: readonly WorkloadRequest[], options: SchedulerOptions): SimulationResult {
  const cost = options.cost ?? DEFAULT_COST;
  const budget = options.tokenBudget ?? 512;
  const maxRunning = options.maxRunning ?? 64;
  const pending = [...workload].sort((a, b) => a.arrivalMs - b.arrivalMs || a.id - b.id);
  const running: Running[] = [];
  const done: RequestMetrics[] = [];
  const iterations: Iteration[] = [];
  let now = 0;
  while (pending.length || running.length) {
    const arrived = () => pending.length > 0 && pending[0].arrivalMs <= now;
    if (!running.length && !arrived()) now = pending[0].arrivalMs;
    const prefill: { id: number; tokens: number }[] = [];
    const decoding = running.filter((r) => r.prefilled === r.request.promptLen);
    let decodes: Running[] = [];
    if (options.policy === 'prefill-first') {
      while (arrived() && running.length < maxRunning) running.push(start(pending.shift()!));
      const prefilling = running.filter((r) => r.prefilled < r.request.promptLen);
      if (prefilling.length) {
        for (const r of prefilling) prefill.push({ id: r.request.id, tokens: r.request.promptLen - r.prefilled });
      } else decodes = decoding;
    } else if (options.policy === 'decode-first') {
      if (!running.length && arrived()) running.push(start(pending.shift()!));
      const prefilling = running.filter((r) => r.prefilled < r.request.promptLen);
      for (const r of prefilling) prefill.push({ id: r.request.id, tokens: r.request.promptLen - r.prefilled });
      decodes = decoding;
    } else {
      decodes = decoding;
      let room = budget - decodes.length;
      while (arrived() && running.length < maxRunning) running.push(start(pending.shift()!));
      for (const r of running) {
        if (room <= 0) break;
        const left = r.request.promptLen - r.prefilled;
        if (left <= 0) continue;
        const chunk = Math.min(left, room);
        prefill.push({ id: r.request.id, tokens: chunk });
        room -= chunk;
      }
    }
    const tokens = prefill.reduce((sum, p) => sum + p.tokens, 0) + decodes.length;
    const kvTokens = decodes.reduce((sum, r) => sum + r.request.promptLen + r.generated, 0);
    // A chunk's queries attend to the earlier chunks and causally to themselves.
    const prefillPairs = prefill.reduce((sum, p) => sum + p.tokens * ((p.tokens + 1) / 2 + (running.find((r) => r.request.id === p.id)?.prefilled ?? 0)), 0);
    const ms = cost.fixedMs + cost.perTokenMs * tokens + cost.perKvTokenMs * kvTokens + cost.perPrefillPairMs * prefillPairs;
    iterations.push({ startMs: now, ms, prefill, decodes: decodes.map((r) => r.request.id) });
    now += ms;
    for (const p of prefill) {
      const r = running.find((x) => x.request.id === p.id)!;
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

function start(request: WorkloadRequest): Running {
  if (request.promptLen < 1 || request.outputLen < 1) throw new RangeError(`request ${request.id} needs a prompt and at least one output token`);
  return { request, prefilled: 0, generated: 0, tokenTimes: [] };
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
