/**
 * What every benchmark bundle shares: the WebGPU device with Dawn's unsafe APIs, the engine, the
 * same-run streaming-read reference, timing with warm-up, verification before timing, and one
 * JSON line per figure.
 */
import { create, globals } from 'webgpu';
import {
  acquireDevice, builtinVariant, compareArrays, compileVariant, createEngine, measureReadBandwidth,
  type AttentionArgs, type AttentionResult, type CompiledVariant, type Engine,
} from '#kernels/index.ts';

Object.assign(globalThis, globals);
// dawn.node resolves GPU promises from its own polling, which does not keep Node's event loop
// alive: without a pending timer Node exits (or tears dawn down mid-flight) while a mapAsync waits.
export const keepAlive = setInterval(() => {}, 1000);

export const RUNS = Number(process.env.BENCH_RUNS ?? 10);
export const only = process.env.BENCH_ONLY?.split(',');
// GPUs lower their clocks when idle: an H200 ran these kernels at 345 MHz instead of 1980 MHz
// when each run followed an upload (see BENCHMARKS.md). So inputs are uploaded once and the
// kernel runs back to back for WARMUP_MS before RUNS timed runs.
export const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 500);

/** Whether a section runs (BENCH_ONLY lists sections; unset runs all). */
export function section(name: string): boolean {
  return !only || only.includes(name);
}

/** Whether an on-request section (a sweep: long, for tuning) runs: only when BENCH_ONLY names it. */
export function requested(name: string): boolean {
  return only?.includes(name) ?? false;
}

export function report(name: string, fields: Record<string, number | string>): void {
  console.log(JSON.stringify({ bench: name, ...fields }));
}

export function variant(id: string): CompiledVariant {
  const result = compileVariant(builtinVariant(id).source);
  if (!result.ok) throw new Error(`${id} failed to compile`);
  return result.variant;
}

// Timestamps are quantized (65.5 µs ticks on the H100 and H200 we use), so each timed span holds
// enough back-to-back runs to last about SPAN_MS, and its time is divided by them.
export const SPAN_MS = Number(process.env.BENCH_SPAN_MS ?? 2);

/**
 * RUNS timed spans after WARMUP_MS of warm-up; a short kernel runs several times per span (a
 * first probe says how long one run takes). `timing.ms` is the median per run.
 */
export async function benchmark(engine: Engine, args: AttentionArgs): Promise<AttentionResult> {
  const probe = await engine.benchmark(args, { runs: 3, warmupMs: WARMUP_MS });
  const runsPerSpan = Math.max(1, Math.min(64, Math.ceil(SPAN_MS / Math.max(probe.timing!.ms, 1e-3))));
  return engine.benchmark(args, { runs: RUNS, warmupMs: WARMUP_MS, runsPerSpan });
}

/** Median GPU milliseconds per run (see `benchmark`). */
export async function gpuMs(engine: Engine, args: AttentionArgs): Promise<number> {
  return (await benchmark(engine, args)).timing!.ms;
}

/** Checks a kernel path on this GPU against a CPU result at a small size before timing it. */
export async function verify(engine: Engine, name: string, args: AttentionArgs, want: { o: Float32Array }): Promise<void> {
  const got = await engine.run(args);
  const error = compareArrays(got.o, want.o);
  const ok = error.maxAbsError <= 1e-4 && error.mismatchedSpecials.length === 0;
  report(`verify ${name}`, { kernel: got.kernel ?? '?', maxAbsError: error.maxAbsError, ok: String(ok) });
  if (!ok) throw new Error(`${name}: the GPU result is wrong on this device`);
}

// dawn.node destroys the device when its GPU instance or adapter is garbage collected: hold them.
const held: unknown[] = [];

/** The device (with Dawn's unsafe APIs, for subgroup matrices where present), its streaming-read bandwidth, and an engine. */
export async function benchSetup(): Promise<{ engine: Engine; bandwidth: number; device: GPUDevice; adapterName: string }> {
  const gpu = create(['enable-dawn-features=allow_unsafe_apis']);
  const acquired = await acquireDevice(gpu);
  held.push(gpu, acquired);
  console.error('# measuring streaming-read bandwidth');
  const streamBytes = Number(process.env.BENCH_STREAM_BYTES ?? 2 ** 30);
  const bandwidth = await measureReadBandwidth(acquired.device, streamBytes, RUNS, WARMUP_MS);
  report('stream-read', { bytes: streamBytes, TBps: +(bandwidth / 1e12).toFixed(3) });
  const engine = await createEngine({ backend: 'webgpu', device: acquired.device });
  console.log(`# adapter: ${acquired.adapterName}; maxStorageBufferBindingSize ${acquired.device.limits.maxStorageBufferBindingSize}`);
  return { engine, bandwidth, device: acquired.device, adapterName: acquired.adapterName };
}
