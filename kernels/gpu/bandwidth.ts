import streamReadSource from '../wgsl/stream_read.wgsl?raw';
import { GpuError } from '../errors.ts';
import { runSteps } from './dispatch.ts';

/**
 * Measures this GPU's streaming-read bandwidth (bytes/s): the reference that memory-bound kernels
 * are reported against. Median of `runs` timed spans of 8 back-to-back passes each, after
 * `warmupMs` of untimed ones (clocks ramp up under load); needs timestamp queries.
 */
export async function measureReadBandwidth(device: GPUDevice, bytes = 256 * 2 ** 20, runs = 10, warmupMs = 500): Promise<number> {
  if (!device.features.has('timestamp-query')) throw new GpuError('measuring bandwidth needs timestamp queries on this adapter');
  // Whole vec4s; not `& ~15`, which works in 32 bits and breaks at 2 GiB and more.
  const size = Math.floor(Math.min(bytes, device.limits.maxStorageBufferBindingSize) / 16) * 16;
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
  const steps = [{ label: 'stream_read', pipeline, bindGroup, groups: [groups, 1] as [number, number] }];
  // Timestamps tick coarsely (65.5 µs on H100 and H200, a quarter of a 1 GiB read there), so each
  // timed span holds 8 reads and its time is divided by them.
  const { timing } = await runSteps(device, 'stream_read', steps, [], [data, sink, params], true, { runs, warmupMs, runsPerSpan: 8 });
  return size / (timing.ms / 1e3);
}
