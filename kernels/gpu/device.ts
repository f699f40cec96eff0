import { GpuError } from '../errors.ts';

/** What the engine asks of a GPU device, and why each feature matters. */
export interface AcquiredDevice {
  device: GPUDevice;
  /**
   * Keep these referenced as long as the device is used: in Node, dawn.node frees a collected
   * adapter or instance under a live device, which crashes the process (seen as random segfaults).
   */
  adapter: GPUAdapter;
  gpu: GPU;
  /** A short human description of the adapter ("nvidia-h100-80gb-hbm3", "swiftshader ..."). */
  adapterName: string;
  hasTimestamps: boolean;
}

/**
 * Requests an adapter and a device. `gpu` defaults to `navigator.gpu` (the browser); in Node
 * pass the object returned by the `webgpu` package's `create()`.
 */
export async function acquireDevice(gpu?: GPU): Promise<AcquiredDevice> {
  const source = gpu ?? (typeof navigator !== 'undefined' ? navigator.gpu : undefined);
  if (!source) throw new GpuError('WebGPU is not available here (no navigator.gpu).');
  const adapter = await source.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new GpuError('WebGPU is present but no GPU adapter was offered.');
  const hasTimestamps = adapter.features.has('timestamp-query');
  // Subgroups let the decode kernel sum across lanes without workgroup barriers.
  const features: GPUFeatureName[] = (['timestamp-query', 'subgroups'] as GPUFeatureName[]).filter((f) => adapter.features.has(f));
  const device = await adapter.requestDevice({
    label: 'attention-lab',
    requiredFeatures: features,
    requiredLimits: {
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxBufferSize: adapter.limits.maxBufferSize,
      // The register-tiled prefill kernel needs 24.3 KiB (64-row tiles) or 44.5 KiB (128-row tiles).
      maxComputeWorkgroupStorageSize: adapter.limits.maxComputeWorkgroupStorageSize,
    },
  });
  const info = adapter.info;
  const adapterName = [info?.vendor, info?.architecture, info?.device, info?.description].filter(Boolean).join(' ') || 'unknown adapter';
  return { device, adapter, gpu: source, adapterName, hasTimestamps };
}
