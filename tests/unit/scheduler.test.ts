import { describe, expect, it } from 'vitest';
import { fitCostModel, poissonArrivals, quantile, sarathi, ScheduleError, shareGptLike, simulate, summarize, uniformLengths, type CostModel, type SchedulePolicy, type SchedulerState } from '#kernels/index.ts';

const cost: CostModel = { fixedMs: 10, perTokenMs: 0.1, perKvTokenMs: 0, perPrefillPairMs: 0 };

describe('batch schedulers', () => {
  it('times one request exactly: a prefill pass yields the first token, each decode pass one more', () => {
    const result = simulate([{ id: 0, arrivalMs: 5, promptLen: 100, outputLen: 3 }], { policy: 'prefill-first', cost });
    // Starts at 5 ms; prefill 10 + 0.1·100 = 20 ms; two decodes of 10.1 ms.
    expect(result.requests[0].ttftMs).toBeCloseTo(20, 9);
    expect(result.requests[0].tbtMs.map((x) => +x.toFixed(9))).toEqual([10.1, 10.1]);
    expect(result.makespanMs).toBeCloseTo(5 + 20 + 20.2, 9);
  });

  it('chunks a long prompt under the Sarathi token budget, decodes riding along', () => {
    const result = simulate(
      [
        { id: 0, arrivalMs: 0, promptLen: 10, outputLen: 4 },
        { id: 1, arrivalMs: 0, promptLen: 1000, outputLen: 1 },
      ],
      { policy: 'sarathi', cost, tokenBudget: 512 },
    );
    expect(result.iterations.map((it) => it.prefill)).toEqual([
      [{ id: 0, tokens: 10 }, { id: 1, tokens: 502 }],
      [{ id: 1, tokens: 498 }],
      [],
      [],
    ]);
    expect(result.iterations.map((it) => it.decodes)).toEqual([[], [0], [0], [0]]);
  });

  it('reproduces the Sarathi-Serve claim: chunked prefill cuts p99 time between tokens at the same throughput', () => {
    const workload = poissonArrivals(uniformLengths(100, 512, 2048, 3), 5, 4);
    const prefillFirst = summarize(simulate(workload, { policy: 'prefill-first' }));
    const sarathi = summarize(simulate(workload, { policy: 'sarathi', tokenBudget: 512 }));
    expect(sarathi.tbtP99).toBeLessThan(0.8 * prefillFirst.tbtP99);
    expect(Math.abs(sarathi.throughput / prefillFirst.throughput - 1)).toBeLessThan(0.05);
  });

  it('decode-first keeps token gaps at one decode pass but serializes requests', () => {
    const workload = poissonArrivals(shareGptLike(30, 5), 5, 6);
    const decodeFirst = summarize(simulate(workload, { policy: 'decode-first' }));
    const sarathi = summarize(simulate(workload, { policy: 'sarathi' }));
    expect(decodeFirst.tbtP99).toBeLessThanOrEqual(sarathi.tbtP99);
    expect(decodeFirst.throughput).toBeLessThan(sarathi.throughput / 2);
  });

  it('runs a policy given as a function, showing it copies of the state before each iteration', () => {
    const workload = poissonArrivals(uniformLengths(20, 64, 512, 2), 20, 3);
    const seen: SchedulerState[] = [];
    const spy: SchedulePolicy = (state) => {
      seen.push(structuredClone(state));
      const batch = sarathi(state);
      state.running.forEach((r) => (r.prefilled = -5)); // changing the copies changes nothing
      state.waiting.length = 0;
      return batch;
    };
    const mine = simulate(workload, { policy: spy, tokenBudget: 256, maxRunning: 6 });
    expect(mine).toEqual(simulate(workload, { policy: 'sarathi', tokenBudget: 256, maxRunning: 6 }));
    expect(seen).toHaveLength(mine.iterations.length);
    for (const [i, state] of seen.entries()) {
      expect(state.nowMs).toBe(mine.iterations[i].startMs);
      expect(state.tokenBudget).toBe(256);
      expect(state.running.length).toBeLessThanOrEqual(6);
      expect(state.waiting.every((w) => w.arrivalMs <= state.nowMs)).toBe(true);
    }
    expect(Math.max(...seen.map((s) => s.waiting.length))).toBeGreaterThan(0);
  });

  it('refuses a batch it cannot run with a ScheduleError naming the iteration and the entry', () => {
    const two = [
      { id: 0, arrivalMs: 0, promptLen: 10, outputLen: 3 },
      { id: 1, arrivalMs: 0, promptLen: 20, outputLen: 3 },
    ];
    const run = (policy: SchedulePolicy, maxRunning = 64) => () => simulate(two, { policy, cost, maxRunning });
    const first = (batch: unknown): SchedulePolicy => (state) => (state.running.length ? sarathi(state) : (batch as ReturnType<SchedulePolicy>));
    expect(run(first(undefined))).toThrow(ScheduleError);
    expect(run(first(undefined))).toThrow('iteration 0 (at 0.0 ms): the schedule must return { prefill: [{ id, tokens }, ...], decodes: [id, ...] }; it returned undefined');
    expect(run(first({ prefill: [{ id: 0, tokens: 10 }] }))).toThrow('its decodes is undefined');
    expect(run(first({ prefill: [{ id: 0, tokens: 11 }], decodes: [] }))).toThrow('prefill[0].tokens is 11; request 0 has 10 prompt tokens left, so it takes a whole number from 1 to 10');
    expect(run(first({ prefill: [{ id: 0, tokens: 2.5 }], decodes: [] }))).toThrow('prefill[0].tokens is 2.5');
    expect(run(first({ prefill: [{ id: 7, tokens: 1 }], decodes: [] }))).toThrow('prefill[0] names request 7, which is neither running nor waiting (running: none; waiting: 0, 1)');
    expect(run(first({ prefill: [{ id: 0, tokens: 1 }, { id: 0, tokens: 1 }], decodes: [] }))).toThrow('prefill[1] names request 0 a second time in one batch');
    expect(run(first({ prefill: [], decodes: [1] }))).toThrow('decodes[0] names request 1, which is not running (it waits: prefill its prompt first)');
    expect(run(first({ prefill: [], decodes: [] }))).toThrow('the schedule returned an empty batch with 0 running and 2 waiting: nothing would ever finish');
    expect(run(first({ prefill: [{ id: 0, tokens: 1 }, { id: 1, tokens: 1 }], decodes: [] }), 1)).toThrow(
      'the batch admits 2 waiting requests beside 0 running, over the limit of 1 running at once (maxRunning)',
    );
    // A decode of a request whose prompt is only half done.
    const early: SchedulePolicy = (state) => (state.running.length ? { prefill: [], decodes: [0] } : { prefill: [{ id: 0, tokens: 5 }], decodes: [] });
    expect(run(early)).toThrow('iteration 1 (at 10.5 ms): decodes[0] names request 0, which is still prefilling (5 of 10 prompt tokens done)');
    expect(() => simulate(two, { policy: 'fastest' as never })).toThrow("no policy 'fastest'; the built-in ones are prefill-first, decode-first, sarathi");
  });

  it('fits a cost model to measured iterations', () => {
    const truth = { fixedMs: 7, perTokenMs: 0.05, perKvTokenMs: 0.0003, perPrefillPairMs: 0.000004 };
    const samples = [[10, 1000, 0], [500, 200, 125000], [64, 64000, 0], [2048, 10, 2098176], [1, 5, 1], [300, 9000, 40000]].map(([tokens, kvTokens, prefillPairs]) => ({
      tokens, kvTokens, prefillPairs,
      ms: truth.fixedMs + truth.perTokenMs * tokens + truth.perKvTokenMs * kvTokens + truth.perPrefillPairMs * prefillPairs,
    }));
    const fitted = fitCostModel(samples);
    expect(fitted.fixedMs).toBeCloseTo(7, 6);
    expect(fitted.perTokenMs).toBeCloseTo(0.05, 8);
    expect(fitted.perKvTokenMs).toBeCloseTo(0.0003, 9);
    expect(fitted.perPrefillPairMs).toBeCloseTo(0.000004, 11);
  });

  it('keeps every fitted term ≥ 0, and refuses measurements that cannot separate the terms', () => {
    // Exactly 1 ms per token, key and pair minus 0.5 ms: a plain fit gives a negative fixed cost.
    const samples = [[1, 0, 0], [2, 0, 0], [0, 1, 0], [0, 2, 0], [0, 0, 1], [0, 0, 2]].map(([tokens, kvTokens, prefillPairs]) => ({
      tokens, kvTokens, prefillPairs, ms: tokens + kvTokens + prefillPairs - 0.5,
    }));
    const fitted = fitCostModel(samples);
    expect(fitted.fixedMs).toBe(0);
    expect(Math.min(fitted.perTokenMs, fitted.perKvTokenMs, fitted.perPrefillPairMs)).toBeGreaterThan(0);
    // Keys read always 8 per token: their costs cannot be told apart.
    const tied = [1, 2, 3, 4, 5].map((n) => ({ tokens: n, kvTokens: 8 * n, prefillPairs: n * n, ms: n }));
    expect(() => fitCostModel(tied)).toThrow('the measurements do not determine the cost model: vary tokens, keys read and prefill lengths');
  });

  it('computes quantiles by linear interpolation', () => {
    expect(quantile([4, 1, 3, 2], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4, 5], 0.99)).toBeCloseTo(4.96, 12);
  });
});

describe('workloads', () => {
  it('draws ShareGPT-like lengths with the documented medians, reproducibly', () => {
    const a = shareGptLike(2000, 9);
    expect(shareGptLike(2000, 9)).toEqual(a);
    expect(quantile(a.map((r) => r.promptLen), 0.5)).toBeGreaterThan(75);
    expect(quantile(a.map((r) => r.promptLen), 0.5)).toBeLessThan(105);
    expect(quantile(a.map((r) => r.outputLen), 0.5)).toBeGreaterThan(175);
    expect(quantile(a.map((r) => r.outputLen), 0.5)).toBeLessThan(225);
  });

  it('spaces Poisson arrivals at the given rate on average', () => {
    const arrivals = poissonArrivals(uniformLengths(4000), 20, 2);
    const meanGapMs = arrivals[arrivals.length - 1].arrivalMs / (arrivals.length - 1);
    expect(meanGapMs).toBeGreaterThan(47);
    expect(meanGapMs).toBeLessThan(53);
  });
});
