/**
 * Calibrating the scheduler's cost model from measured attention kernels. A kernel timing table
 * holds one layer's attention times for a few prefill chunks and decode batches; `fitKernelTable`
 * fits the CostModel's terms to it, `costModelFromTable` scales one layer to a whole served model,
 * and `measureKernelTable` produces such a table by timing an engine (the user's GPU in the
 * browser, dawn.node on the GPU machine).
 */
import type { Engine } from '../engine.ts';
import { randomBatch } from '../formats/random.ts';
import { DEFAULT_COST, fitCostModel, quantile, type CostModel, type IterationSample } from './scheduler.ts';

export interface AttentionHeads {
  numQoHeads: number;
  numKvHeads: number;
  headDim: number;
}

/** `batch` causal prefill chunks of `qoLen` new tokens, each attending to `kvLen` keys (earlier context plus the chunk). */
export interface PrefillShape {
  batch: number;
  qoLen: number;
  kvLen: number;
}

/** `batch` decodes, one query each over `kvLen` keys. */
export interface DecodeShape {
  batch: number;
  kvLen: number;
}

export interface KernelTimingTable extends AttentionHeads {
  /** Where the numbers come from: the GPU, how they were measured, when. */
  source: string;
  prefill: (PrefillShape & { ms: number })[];
  decode: (DecodeShape & { ms: number })[];
}

/**
 * One attention layer of this repo's fp32 kernels, measured on an NVIDIA H200 through dawn.node by
 * `bench/calibrate.ts` (`measureKernelTable`) on 2026-11-26: inputs uploaded once, 500 ms of
 * back-to-back warm-up, then the median of 10 back-to-back runs timed with GPU timestamps; 32 query
 * heads, 8 KV heads, head size 128, ragged KV, causal. Two rows repeat BENCHMARKS.md's H200 shapes
 * and agree with it: decode B64 kv4096 0.590 ms (0.590 there), causal prefill B8 L2048 17.4 ms
 * (18.1 ms there). Timestamps on that stack are quantized to
 * 65.5 µs, so the smallest rows (1–3 ticks) carry up to ±50%. An earlier table taken with one
 * upload per run was 2–6x slower: the idle GPU had lowered its clock.
 */
export const DEFAULT_KERNEL_TABLE: KernelTimingTable = {
  source: 'NVIDIA H200, WebGPU through dawn.node, GPU timestamps, median of 10 back-to-back runs (2026-11-26)',
  numQoHeads: 32,
  numKvHeads: 8,
  headDim: 128,
  prefill: [
    { batch: 1, qoLen: 512, kvLen: 512, ms: 0.2294 },
    { batch: 1, qoLen: 1024, kvLen: 1024, ms: 0.7209 },
    { batch: 1, qoLen: 2048, kvLen: 2048, ms: 2.4248 },
    { batch: 8, qoLen: 2048, kvLen: 2048, ms: 17.367 },
    { batch: 4, qoLen: 512, kvLen: 2048, ms: 3.8666 },
    { batch: 16, qoLen: 256, kvLen: 256, ms: 0.7864 },
  ],
  decode: [
    { batch: 16, kvLen: 1024, ms: 0.0655 },
    { batch: 16, kvLen: 4096, ms: 0.1966 },
    { batch: 64, kvLen: 1024, ms: 0.1966 },
    { batch: 64, kvLen: 4096, ms: 0.5898 },
    { batch: 8, kvLen: 16384, ms: 0.3277 },
    { batch: 128, kvLen: 2048, ms: 0.5243 },
  ],
};

/** The served model a table's one layer is scaled to. */
export interface ServedModel extends AttentionHeads {
  name: string;
  layers: number;
  /** The rest of a forward pass (weights, MLPs, sampling), which the kernel table does not measure. */
  otherFixedMs: number;
  otherPerTokenMs: number;
}

/**
 * A Llama-3-8B-like model: 32 layers of 32 query heads and 8 KV heads of size 128. The rest of its
 * forward pass keeps DEFAULT_COST's illustrative fixed and per-token terms (not measured here).
 */
export const SERVED_MODEL: ServedModel = {
  name: 'Llama-3-8B-like (32 layers, 32/8 heads, head size 128)',
  layers: 32,
  numQoHeads: 32,
  numKvHeads: 8,
  headDim: 128,
  otherFixedMs: DEFAULT_COST.fixedMs,
  otherPerTokenMs: DEFAULT_COST.perTokenMs,
};

/** Query-key pairs of a causal prefill chunk: the earlier context in full, the chunk causally. */
export function prefillPairs({ batch, qoLen, kvLen }: PrefillShape): number {
  return batch * qoLen * ((qoLen + 1) / 2 + (kvLen - qoLen));
}

/** The table's rows as iterations of the scheduler's cost model (the same features `simulate` computes). */
export function kernelSamples(table: KernelTimingTable): IterationSample[] {
  return [
    ...table.prefill.map((row) => ({ tokens: row.batch * row.qoLen, kvTokens: 0, prefillPairs: prefillPairs(row), ms: row.ms })),
    ...table.decode.map((row) => ({ tokens: row.batch, kvTokens: row.batch * row.kvLen, prefillPairs: 0, ms: row.ms })),
  ];
}

/**
 * Fits one layer's attention cost to a table: launch overhead (fixedMs), per query (perTokenMs),
 * per key a decode reads (perKvTokenMs) and per query-key pair of prefill (perPrefillPairMs).
 * Prefill chunks of at least two shapes and decodes at two KV lengths are needed to tell them apart.
 */
export function fitKernelTable(table: KernelTimingTable): CostModel {
  const check = (row: { batch: number; kvLen: number; ms: number }, qoLen: number) => {
    const whole = [row.batch, qoLen, row.kvLen].every((x) => Number.isInteger(x) && x >= 1);
    if (!whole || qoLen > row.kvLen || !(row.ms > 0 && Number.isFinite(row.ms))) {
      throw new RangeError(`every row needs a whole batch ≥ 1, 1 ≤ query length ≤ key length and a time > 0 ms; got ${JSON.stringify(row)}`);
    }
  };
  table.prefill.forEach((row) => check(row, row.qoLen));
  table.decode.forEach((row) => check(row, 1));
  const prefillShapes = new Set(table.prefill.map((row) => `${row.qoLen} queries over ${row.kvLen} keys`));
  if (prefillShapes.size < 2) {
    throw new RangeError(
      `the table does not determine the cost model: prefill rows need at least two chunk shapes (query and key lengths), ` +
        `it has ${prefillShapes.size ? [...prefillShapes].join(', ') : 'none'}`,
    );
  }
  const kvLengths = new Set(table.decode.map((row) => row.kvLen));
  if (kvLengths.size < 2) {
    throw new RangeError(
      `the table does not determine the cost model: decode rows need at least two KV lengths, it has ${kvLengths.size ? [...kvLengths].join(', ') : 'none'}`,
    );
  }
  return fitCostModel(kernelSamples(table));
}

/**
 * A whole model's iteration cost from one layer's fitted attention: the layer's terms times the
 * layers, scaled from the table's heads to the model's (keys read scale with KV heads × head size,
 * queries and query-key pairs with query heads × head size), plus the rest of the forward pass.
 */
export function costModelFromTable(table: KernelTimingTable, model: ServedModel = SERVED_MODEL): CostModel {
  const layer = fitKernelTable(table);
  const queryScale = (model.numQoHeads * model.headDim) / (table.numQoHeads * table.headDim);
  const keyScale = (model.numKvHeads * model.headDim) / (table.numKvHeads * table.headDim);
  return {
    fixedMs: model.otherFixedMs + model.layers * layer.fixedMs,
    perTokenMs: model.otherPerTokenMs + model.layers * layer.perTokenMs * queryScale,
    perKvTokenMs: model.layers * layer.perKvTokenMs * keyScale,
    perPrefillPairMs: model.layers * layer.perPrefillPairMs * queryScale,
  };
}

export interface CalibrationPlan extends AttentionHeads {
  prefill: PrefillShape[];
  decode: DecodeShape[];
}

/**
 * Small shapes that a software WebGPU (SwiftShader) times in seconds; on a real GPU each grows
 * (see `measureKernelTable`'s minMs) until the timer's resolution no longer matters.
 */
export const BROWSER_CALIBRATION: CalibrationPlan = {
  numQoHeads: 8,
  numKvHeads: 2,
  headDim: 64,
  prefill: [
    { batch: 1, qoLen: 64, kvLen: 64 },
    { batch: 1, qoLen: 192, kvLen: 192 },
    { batch: 1, qoLen: 64, kvLen: 320 },
  ],
  decode: [
    { batch: 4, kvLen: 256 },
    { batch: 4, kvLen: 1024 },
    { batch: 16, kvLen: 512 },
  ],
};

export interface CalibrationProgress {
  /** Shapes finished, of `total`. */
  done: number;
  total: number;
  /** What is being timed now, in words. */
  now: string;
}

export interface CalibrationOptions {
  /** Timed runs per shape after one warm-up (default 5); the median is kept. */
  runs?: number;
  /** A shape whose median is below this doubles its batch and is timed again (default 2 ms; 0 keeps shapes as given). */
  minMs?: number;
  /** Growth stops before keys and values would exceed this many floats each (default 4M: 16 MB). */
  maxFloats?: number;
  onProgress?: (progress: CalibrationProgress) => void;
  /** Aborting stops between runs; the promise then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Random inputs from this seed (default 1). */
  seed?: number;
  /**
   * With GPU timestamps, each shape first runs back to back for this long (default 200 ms), then
   * `runs` back-to-back timed runs on inputs uploaded once (`Engine.benchmark`): GPUs lower their
   * clocks when idle, and a GPU that waits on uploads between runs is timed at a fraction of its speed.
   */
  warmupMs?: number;
}

/** Times every shape of the plan on `engine` and returns the table (medians of GPU time where the engine has timestamps). */
export async function measureKernelTable(engine: Engine, plan: CalibrationPlan, options: CalibrationOptions = {}): Promise<KernelTimingTable> {
  const { runs = 5, minMs = 2, maxFloats = 4 * 2 ** 20, onProgress, signal, seed = 1, warmupMs = 200 } = options;
  const total = plan.prefill.length + plan.decode.length;
  let done = 0;
  const sources = new Set<string>();
  const time = async (shape: PrefillShape, describe: (batch: number) => string): Promise<PrefillShape & { ms: number }> => {
    let batch = shape.batch;
    for (;;) {
      const args = randomBatch({
        qoLens: Array(batch).fill(shape.qoLen),
        kvLens: Array(batch).fill(shape.kvLen),
        numQoHeads: plan.numQoHeads,
        numKvHeads: plan.numKvHeads,
        headDim: plan.headDim,
        causal: true,
        seed,
      });
      const times: number[] = [];
      if (engine.hasTimestamps) {
        signal?.throwIfAborted();
        onProgress?.({ done, total, now: `${describe(batch)}: ${runs} back-to-back runs after ${warmupMs} ms of warm-up` });
        const { runTimes } = await engine.benchmark(args, { runs, warmupMs });
        times.push(...runTimes!);
        sources.add('timestamp');
      } else {
        for (let run = 0; run <= runs; run++) {
          signal?.throwIfAborted();
          onProgress?.({ done, total, now: `${describe(batch)}: run ${run + 1} of ${runs + 1}` });
          const started = performance.now();
          const { timing } = await engine.run(args);
          if (run === 0) continue;
          times.push(timing?.ms ?? performance.now() - started);
          sources.add(timing?.source ?? 'wall');
        }
      }
      const ms = quantile(times, 0.5);
      const keyFloats = batch * shape.kvLen * plan.numKvHeads * plan.headDim;
      if (ms >= minMs || 2 * keyFloats > maxFloats) return { ...shape, batch, ms };
      batch *= 2;
    }
  };
  const prefill: KernelTimingTable['prefill'] = [];
  for (const shape of plan.prefill) {
    prefill.push(await time(shape, (batch) => `prefill ${batch} × ${shape.qoLen} queries over ${shape.kvLen} keys`));
    done++;
  }
  const decode: KernelTimingTable['decode'] = [];
  for (const shape of plan.decode) {
    const row = await time({ batch: shape.batch, qoLen: 1, kvLen: shape.kvLen }, (batch) => `decode ${batch} × ${shape.kvLen} keys`);
    decode.push({ batch: row.batch, kvLen: row.kvLen, ms: row.ms });
    done++;
  }
  onProgress?.({ done, total, now: 'done' });
  const clock = [...sources].join(' and ');
  return {
    source: `${engine.description}, ${clock === 'timestamp' ? 'GPU timestamps' : `${clock} time`}, median of ${runs} runs, ${new Date().toISOString().slice(0, 10)}`,
    numQoHeads: plan.numQoHeads,
    numKvHeads: plan.numKvHeads,
    headDim: plan.headDim,
    prefill,
    decode,
  };
}
