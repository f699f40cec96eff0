import { GpuError } from '../errors.ts';
import type { Timing } from '../types.ts';
import { readFloat32, stagingCopy } from './buffers.ts';
import { PassTimer } from './timing.ts';

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
): Promise<{ arrays: Float32Array[]; timing: Timing }> {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  const timer = hasTimestamps ? new PassTimer(device, label) : undefined;
  const encoder = device.createCommandEncoder({ label });
  steps.forEach((step, i) => {
    const writes = timer?.passWrites();
    const timestampWrites = writes && {
      querySet: writes.querySet,
      ...(i === 0 ? { beginningOfPassWriteIndex: 0 } : {}),
      ...(i === steps.length - 1 ? { endOfPassWriteIndex: 1 } : {}),
    };
    const pass = encoder.beginComputePass({ label: step.label, timestampWrites });
    pass.setPipeline(step.pipeline);
    pass.setBindGroup(0, step.bindGroup);
    pass.dispatchWorkgroups(...step.groups);
    pass.end();
  });
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
    const timing: Timing = timer ? { ms: await timer.read(), source: 'timestamp' } : { ms: wallMs, source: 'wall' };
    return { arrays, timing };
  } finally {
    timer?.destroy();
    for (const buffer of [...owned, ...staging]) buffer.destroy();
  }
}
