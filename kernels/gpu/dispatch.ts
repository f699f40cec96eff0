import { GpuError } from '../errors.ts';
import type { Timing } from '../types.ts';
import { outputBuffer, readFloat32, stagingCopy } from './buffers.ts';
import { median, PassTimer } from './timing.ts';

export interface ComputeStep {
  label: string;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  groups: [number, number];
}

export function uniformBuffer(device: GPUDevice, label: string, data: ArrayBuffer): GPUBuffer {
  const buffer = device.createBuffer({ label, size: Math.max(16, data.byteLength), usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(buffer, 0, data);
  return buffer;
}

/** Repeated, timed runs of the same passes on inputs uploaded once (benchmarks). */
export interface RepeatOptions {
  /** Timed runs, back to back in one submission (at most 2048). */
  runs: number;
  /**
   * Untimed back-to-back runs for this long first. GPUs lower their clocks when idle and raise
   * them under sustained load (an H200 measured at 345 MHz instead of 1980 MHz after gaps), so
   * short kernels timed after idle time run several times slower than they do in service.
   */
  warmupMs: number;
  /**
   * Runs inside each timed span (default 1): a span's time is divided by it. Timestamps are
   * quantized (65.5 µs on the GPUs we measured), so kernels that take a few ticks are timed over
   * several back-to-back runs per span.
   */
  runsPerSpan?: number;
}

/**
 * Runs compute passes in order in one submission, reads back `outputs` (lengths in floats), and
 * destroys `owned` buffers. GPU time spans the first pass's start to the last pass's end when the
 * device has timestamp queries; otherwise it is wall time from submit to readback. Validation and
 * out-of-memory errors become a GpuError.
 */
export async function runSteps(
  device: GPUDevice,
  label: string,
  steps: ComputeStep[],
  outputs: { buffer: GPUBuffer; length: number }[],
  owned: GPUBuffer[],
  hasTimestamps: boolean,
  repeat?: RepeatOptions,
): Promise<{ arrays: Float32Array[]; timing: Timing; runTimes?: number[] }> {
  if (repeat && !hasTimestamps) throw new GpuError('repeated timing needs timestamp queries on this adapter');
  const runs = repeat ? Math.max(1, Math.min(2048, Math.floor(repeat.runs))) : 1;
  const timer = hasTimestamps ? new PassTimer(device, label, runs) : undefined;
  const perSpan = repeat ? Math.max(1, Math.min(256, Math.floor(repeat.runsPerSpan ?? 1))) : 1;
  const encodePasses = (encoder: GPUCommandEncoder, span?: number, opens = true, closes = true) => {
    steps.forEach((step, i) => {
      const timestampWrites = span === undefined ? undefined : timer?.passWrites(span, opens && i === 0, closes && i === steps.length - 1);
      const pass = encoder.beginComputePass({ label: step.label, timestampWrites });
      pass.setPipeline(step.pipeline);
      pass.setBindGroup(0, step.bindGroup);
      pass.dispatchWorkgroups(...step.groups);
      pass.end();
    });
  };
  if (repeat) {
    const started = performance.now();
    while (performance.now() - started < repeat.warmupMs) {
      const encoder = device.createCommandEncoder({ label: `${label} warm-up` });
      for (let i = 0; i < 4; i++) encodePasses(encoder);
      device.queue.submit([encoder.finish()]);
      await device.queue.onSubmittedWorkDone();
    }
  }
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  const encoder = device.createCommandEncoder({ label });
  for (let run = 0; run < runs; run++) {
    for (let k = 0; k < perSpan; k++) encodePasses(encoder, timer ? run : undefined, k === 0, k === perSpan - 1);
  }
  timer?.encodeResolve(encoder);
  const staging = outputs.map((output) => stagingCopy(device, encoder, output.buffer));
  const started = performance.now();
  device.queue.submit([encoder.finish()]);
  const validation = device.popErrorScope();
  const memory = device.popErrorScope();
  try {
    const [validationError, memoryError] = await Promise.all([validation, memory]);
    const error = validationError ?? memoryError;
    if (error) throw new GpuError(`${label} failed on the GPU: ${error.message}`);
    const arrays = await Promise.all(staging.map((buffer, i) => readFloat32(buffer, outputs[i].length)));
    const wallMs = performance.now() - started;
    if (!timer) return { arrays, timing: { ms: wallMs, source: 'wall' } };
    const runTimes = (await timer.readAll()).map((ms) => ms / perSpan);
    const timing: Timing = { ms: repeat ? median(runTimes) : runTimes[0], source: 'timestamp' };
    return { arrays, timing, ...(repeat ? { runTimes } : {}) };
  } finally {
    timer?.destroy();
    for (const buffer of [...owned, ...staging]) buffer.destroy();
  }
}

/**
 * A batch's run end to end: allocates its outputs `o` and `lse` (lengths in floats), lets `build`
 * make the passes that write them (buffers it creates go in `owned`), runs them and reads the
 * outputs back. Every buffer is destroyed afterwards, or when building fails; with no passes (no
 * queries) the outputs are zeros and nothing runs.
 */
export async function runIntoOutputs(
  device: GPUDevice,
  label: string,
  lengths: { o: number; lse: number },
  hasTimestamps: boolean,
  build: (o: GPUBuffer, lse: GPUBuffer, owned: GPUBuffer[]) => Promise<ComputeStep[]>,
  repeat?: RepeatOptions,
): Promise<{ arrays: Float32Array[]; timing?: Timing; runTimes?: number[] }> {
  const o = outputBuffer(device, 'o', lengths.o * 4);
  const lse = outputBuffer(device, 'lse', lengths.lse * 4);
  const owned = [o, lse];
  let steps: ComputeStep[];
  try {
    steps = await build(o, lse, owned);
  } catch (error) {
    for (const buffer of owned) buffer.destroy();
    throw error;
  }
  if (steps.length === 0) {
    for (const buffer of owned) buffer.destroy();
    return { arrays: [new Float32Array(lengths.o), new Float32Array(lengths.lse)] };
  }
  const outputs = [{ buffer: o, length: lengths.o }, { buffer: lse, length: lengths.lse }];
  return runSteps(device, label, steps, outputs, owned, hasTimestamps, repeat);
}
