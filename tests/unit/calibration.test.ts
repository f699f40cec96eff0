import { describe, expect, it } from 'vitest';
import {
  costModelFromTable, createEngine, DEFAULT_KERNEL_TABLE, fitKernelTable, kernelSamples, measureKernelTable, poissonArrivals, prefillPairs, seededRandom, SERVED_MODEL,
  simulate, summarize, uniformLengths, type CalibrationProgress, type CostModel, type KernelTimingTable,
} from '#kernels/index.ts';

/** One layer's attention cost of a made-up GPU: the parameters a fit must recover. */
const TRUTH: CostModel = { fixedMs: 0.04, perTokenMs: 0.0003, perKvTokenMs: 0.00002, perPrefillPairMs: 0.000003 };

function syntheticTable(noise = 0, seed = 1): KernelTimingTable {
  const random = seededRandom(seed);
  const time = (tokens: number, kvTokens: number, pairs: number) =>
    (TRUTH.fixedMs + TRUTH.perTokenMs * tokens + TRUTH.perKvTokenMs * kvTokens + TRUTH.perPrefillPairMs * pairs) * (1 + noise * (2 * random() - 1));
  const prefill = [[1, 256, 256], [1, 1024, 1024], [4, 512, 2048], [8, 128, 128]].map(([batch, qoLen, kvLen]) => ({
    batch, qoLen, kvLen, ms: time(batch * qoLen, 0, prefillPairs({ batch, qoLen, kvLen })),
  }));
  const decode = [[8, 512], [8, 4096], [64, 1024], [32, 8192]].map(([batch, kvLen]) => ({ batch, kvLen, ms: time(batch, batch * kvLen, 0) }));
  return { source: 'synthetic', numQoHeads: 8, numKvHeads: 2, headDim: 64, prefill, decode };
}

describe('the cost model fitted to a kernel timing table', () => {
  it('recovers the parameters of an exact synthetic table', () => {
    const fitted = fitKernelTable(syntheticTable());
    for (const key of Object.keys(TRUTH) as (keyof CostModel)[]) expect(Math.abs(fitted[key] / TRUTH[key] - 1)).toBeLessThan(1e-6);
  });

  it('recovers them within 10% from timings with ±2% noise, and predicts every row within 5%', () => {
    const table = syntheticTable(0.02, 7);
    const fitted = fitKernelTable(table);
    for (const key of Object.keys(TRUTH) as (keyof CostModel)[]) expect(Math.abs(fitted[key] / TRUTH[key] - 1)).toBeLessThan(0.1);
    for (const s of kernelSamples(table)) {
      const predicted = fitted.fixedMs + fitted.perTokenMs * s.tokens + fitted.perKvTokenMs * s.kvTokens + fitted.perPrefillPairMs * s.prefillPairs;
      expect(Math.abs(predicted / s.ms - 1)).toBeLessThan(0.05);
    }
  });

  it('rejects a table that cannot determine the model, saying what to measure', () => {
    const table = syntheticTable();
    // Batch alone does not separate a chunk's per-query cost from its per-pair cost.
    const oneChunkShape = { ...table, prefill: [{ batch: 1, qoLen: 512, kvLen: 512, ms: 1 }, { batch: 2, qoLen: 512, kvLen: 512, ms: 2 }] };
    expect(() => fitKernelTable(oneChunkShape)).toThrow('the table does not determine the cost model: prefill rows need at least two chunk shapes (query and key lengths), it has 512 queries over 512 keys');
    expect(() => fitKernelTable({ ...table, decode: table.decode.map((row) => ({ ...row, kvLen: 1024 })) })).toThrow(
      'the table does not determine the cost model: decode rows need at least two KV lengths, it has 1024',
    );
    expect(() => fitKernelTable({ ...table, decode: [] })).toThrow(/decode rows need at least two KV lengths, it has none/);
    expect(() => fitKernelTable({ ...table, decode: [...table.decode, { batch: 4, kvLen: 64, ms: 0 }] })).toThrow(/a time > 0 ms/);
  });

  it('scales one layer to the served model: keys by KV heads × head size, pairs and queries by query heads × head size', () => {
    const table = syntheticTable();
    const cost = costModelFromTable(table);
    // The table ran 8 query heads and 2 KV heads of size 64; the model has 32 and 8 of size 128: 8× each.
    expect(cost.perKvTokenMs).toBeCloseTo(SERVED_MODEL.layers * 8 * TRUTH.perKvTokenMs, 9);
    expect(cost.perPrefillPairMs).toBeCloseTo(SERVED_MODEL.layers * 8 * TRUTH.perPrefillPairMs, 11);
    expect(cost.perTokenMs).toBeCloseTo(SERVED_MODEL.otherPerTokenMs + SERVED_MODEL.layers * 8 * TRUTH.perTokenMs, 9);
    expect(cost.fixedMs).toBeCloseTo(SERVED_MODEL.otherFixedMs + SERVED_MODEL.layers * TRUTH.fixedMs, 9);
  });

  it('fits the measured H200 table\'s decodes, and chunked prefill still cuts p99 time between tokens', () => {
    const fitted = fitKernelTable(DEFAULT_KERNEL_TABLE);
    for (const row of DEFAULT_KERNEL_TABLE.decode) {
      const predicted = fitted.fixedMs + fitted.perTokenMs * row.batch + fitted.perKvTokenMs * row.batch * row.kvLen;
      // Within 15% where a row spans more than ten 65.5 µs timestamp ticks, 25% for the 5-tick one.
      expect(Math.abs(predicted / row.ms - 1)).toBeLessThan(row.ms > 0.655 ? 0.15 : 0.25);
    }
    const cost = costModelFromTable(DEFAULT_KERNEL_TABLE);
    const workload = poissonArrivals(uniformLengths(100, 512, 2048, 3), 5, 4);
    const prefillFirst = summarize(simulate(workload, { policy: 'prefill-first', cost }));
    const sarathi = summarize(simulate(workload, { policy: 'sarathi', tokenBudget: 512, cost }));
    expect(sarathi.tbtP99).toBeLessThan(0.8 * prefillFirst.tbtP99);
    expect(Math.abs(sarathi.throughput / prefillFirst.throughput - 1)).toBeLessThan(0.05);
  });
});

describe('measuring a kernel timing table on an engine', () => {
  const plan = {
    numQoHeads: 2, numKvHeads: 1, headDim: 64,
    prefill: [{ batch: 1, qoLen: 8, kvLen: 8 }, { batch: 1, qoLen: 4, kvLen: 16 }],
    decode: [{ batch: 2, kvLen: 16 }, { batch: 2, kvLen: 32 }],
  } as const;

  it('times every shape (here on the CPU reference) and reports progress', async () => {
    const engine = await createEngine({ backend: 'cpu' });
    const progress: CalibrationProgress[] = [];
    const table = await measureKernelTable(engine, { ...plan, prefill: [...plan.prefill], decode: [...plan.decode] }, { runs: 2, minMs: 0, onProgress: (p) => progress.push(p) });
    expect(table.prefill.map(({ batch, qoLen, kvLen }) => [batch, qoLen, kvLen])).toEqual([[1, 8, 8], [1, 4, 16]]);
    expect(table.decode.map(({ batch, kvLen }) => [batch, kvLen])).toEqual([[2, 16], [2, 32]]);
    expect([...table.prefill, ...table.decode].every((row) => row.ms > 0)).toBe(true);
    expect(table.source).toMatch(/^CPU reference \(float64 accumulation\), cpu time, median of 2 runs/);
    // One report per run (a warm-up and 2 timed) of each of the 4 shapes, then the end.
    expect(progress.length).toBe(4 * 3 + 1);
    expect(progress.at(-1)).toEqual({ done: 4, total: 4, now: 'done' });
  });

  it('doubles a shape\'s batch while it runs faster than minMs, up to the size limit', async () => {
    const engine = await createEngine({ backend: 'cpu' });
    // Keys of one decode request of 32: 32 × 64 floats; a limit of 8 requests' worth stops at batch 8.
    const table = await measureKernelTable(engine, { ...plan, prefill: [], decode: [{ batch: 1, kvLen: 32 }] }, { runs: 1, minMs: 1e9, maxFloats: 8 * 32 * 64 });
    expect(table.decode[0].batch).toBe(8);
  });

  it('stops when cancelled', async () => {
    const engine = await createEngine({ backend: 'cpu' });
    const controller = new AbortController();
    const measuring = measureKernelTable(engine, { ...plan, prefill: [...plan.prefill], decode: [...plan.decode] }, {
      runs: 2, minMs: 0, signal: controller.signal,
      onProgress: (p) => p.done === 1 && controller.abort(new Error('cancelled by the learner')),
    });
    await expect(measuring).rejects.toThrow('cancelled by the learner');
  });
});
