import { median, type AttentionArgs, type AttentionResult, type Engine } from '#kernels/index.ts';

export interface TimeOptions {
  /** Timed runs with GPU timestamps (default 10). */
  runs?: number;
  /** Untimed back-to-back runs first, in milliseconds (default 50): GPUs raise their clocks under load. */
  warmupMs?: number;
  /**
   * Runs inside each timed span (default 1). Browsers round GPU timestamps (Chrome to 0.1 ms), so
   * a kernel of a few microseconds is timed over many back-to-back runs per span.
   */
  runsPerSpan?: number;
  /** A CPU function to time instead of the engine (a reference), on the CPU clock. */
  cpu?: () => { o: Float32Array; lse: Float32Array };
}

/**
 * Whether the engine runs on a hardware GPU: WebGPU and not SwiftShader (a CPU Vulkan driver). Lessons
 * give a hardware GPU work long enough to time, and a software GPU or the CPU a size that ends in seconds.
 */
export function onHardwareGpu(engine: Engine): boolean {
  return engine.backend === 'webgpu' && !/swiftshader/i.test(engine.description);
}

export interface Timed {
  ms: number;
  /** The last run's result. */
  result: AttentionResult;
  /** Whether `ms` is from GPU timestamps or the wall clock. */
  source: 'timestamp' | 'wall';
}

/**
 * Milliseconds of `args` on a notebook's engine, the way lessons measure. With GPU timestamps:
 * the median of back-to-back runs after a warm-up (`engine.benchmark`). Otherwise (the CPU
 * engine, a GPU without timestamps, or `cpu` given): the median wall time of three whole runs.
 */
export async function timeOnEngine(engine: Engine, args: AttentionArgs, options: TimeOptions = {}): Promise<Timed> {
  if (!options.cpu && engine.backend === 'webgpu' && engine.hasTimestamps) {
    const result = await engine.benchmark(args, { runs: options.runs ?? 10, warmupMs: options.warmupMs ?? 50, runsPerSpan: options.runsPerSpan });
    return { ms: result.timing!.ms, result, source: 'timestamp' };
  }
  const ms: number[] = [];
  let result: AttentionResult | undefined;
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    result = options.cpu ? options.cpu() : await engine.run(args);
    ms.push(performance.now() - started);
  }
  return { ms: median(ms), result: result!, source: 'wall' };
}
