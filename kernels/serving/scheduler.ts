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
