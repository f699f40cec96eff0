import streamReadSource from '../wgsl/stream_read.wgsl?raw';
import { GpuError } from '../errors.ts';
import { PassTimer } from './timing.ts';

/**
 * Measures this GPU's streaming-read bandwidth (bytes/s): the reference that memory-bound kernels
 * are reported against. Median of `runs` timed passes after one warm-up; needs timestamp queries.
 */
export async function measureReadBandwidth(device: GPUDevice, bytes = 256 * 2 ** 20, runs = 10): Promise<number> {
  if (!device.features.has('timestamp-query')) throw new GpuError('measuring bandwidth needs timestamp queries on this adapter');
  const size = Math.min(bytes, device.limits.maxStorageBufferBindingSize) & ~15;
  const data = device.createBuffer({ label: 'stream read data', size, usage: GPUBufferUsage.STORAGE });
  const sink = device.createBuffer({ label: 'stream read sink', size: 16, usage: GPUBufferUsage.STORAGE });
  const module = device.createShaderModule({ label: 'stream_read', code: streamReadSource });
  await module.getCompilationInfo();
  const pipeline = await device.createComputePipelineAsync({ label: 'stream_read', layout: 'auto', compute: { module, entryPoint: 'main' } });
  const groups = Math.min(device.limits.maxComputeWorkgroupsPerDimension, 8192);
  const params = device.createBuffer({ label: 'stream read params', size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(params, 0, Uint32Array.from([size / 16, groups * 256, 0, 0]));
  const bindGroup = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [data, sink, params].map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
  const times: number[] = [];
  try {
    for (let run = 0; run <= runs; run++) {
      const timer = new PassTimer(device, 'stream_read');
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass({ timestampWrites: timer.passWrites() });
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(groups);
      pass.end();
      timer.encodeResolve(encoder);
      device.queue.submit([encoder.finish()]);
      const ms = await timer.read();
      timer.destroy();
      if (run > 0) times.push(ms);
    }
  } finally {
    data.destroy();
    sink.destroy();
    params.destroy();
  }
  return size / (median(times) / 1e3);
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
