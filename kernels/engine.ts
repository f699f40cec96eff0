import { AttentionInputError, GpuError } from './errors.ts';
import { checkAttentionArgs } from './formats/batch.ts';
import { acquireDevice, type AcquiredDevice } from './gpu/device.ts';
import { canDecode, DecodeAttentionKernel, subgroupLanes } from './gpu/decode-attention.ts';
import { plainAttention, RaggedAttentionKernel } from './gpu/ragged-attention.ts';
import { PipelineCache, type PipelineStats } from './gpu/pipelines.ts';
import { referenceAttention } from './reference/attention.ts';
import type { AttentionArgs, AttentionResult } from './types.ts';

export type Backend = 'webgpu' | 'cpu';

export interface EngineOptions {
  /** Default `'webgpu'`; creating it fails with a GpuError when no GPU is available. */
  backend?: Backend;
  /** Use this device instead of requesting one (the engine will not destroy it). */
  device?: GPUDevice;
  /** The WebGPU entry point; defaults to `navigator.gpu`. In Node: `create()` from the `webgpu` package. */
  gpu?: GPU;
  /** Use subgroup operations where the device has them (default true); false forces the portable path. */
  subgroups?: boolean;
  /** Lanes per key in the decode kernel with subgroups (4, 8, 16 or 32; default 8), for tuning. */
  decodeLanes?: number;
  /** Use the register-tiled prefill kernel where it applies (default true). */
  tiledPrefill?: boolean;
}

export interface Engine {
  readonly backend: Backend;
  /** Which hardware runs the kernels, in words. */
  readonly description: string;
  /** Whether `run` reports GPU time from timestamp queries (else CPU wall time). */
  readonly hasTimestamps: boolean;
  run(args: AttentionArgs): Promise<AttentionResult>;
  /** Pipeline cache counters (WebGPU only). */
  readonly pipelineStats?: PipelineStats;
  /** Set once the GPU device is lost; every later `run` rejects with this reason. */
  readonly lostReason: string | undefined;
  destroy(): void;
}

export async function createEngine(options: EngineOptions = {}): Promise<Engine> {
  const backend = options.backend ?? 'webgpu';
  if (backend === 'cpu') return cpuEngine();
  if (backend !== 'webgpu') throw new GpuError(`unknown backend ${String(backend)}; use 'webgpu' or 'cpu'`);
  const acquired: Pick<AcquiredDevice, 'device' | 'adapterName' | 'hasTimestamps'> & Partial<AcquiredDevice> = options.device
    ? { device: options.device, adapterName: options.device.label || 'provided device', hasTimestamps: options.device.features.has('timestamp-query') }
    : await acquireDevice(options.gpu);
  const { device } = acquired;
  // The engine holds the adapter and GPU instance for its lifetime (see AcquiredDevice).
  const retained: unknown[] = [acquired.adapter, acquired.gpu, options.gpu];
  let lostReason: string | undefined;
  device.lost.then((info) => {
    lostReason = info.message || info.reason || 'unknown reason';
  });
  const pipelines = new PipelineCache(device);
  const ragged = new RaggedAttentionKernel(device, acquired.hasTimestamps, pipelines, options.tiledPrefill ?? true);
  const lanes = options.subgroups === false ? undefined : subgroupLanes(device, options.decodeLanes);
  const decode = new DecodeAttentionKernel(device, acquired.hasTimestamps, pipelines, lanes);
  return {
    backend,
    description: acquired.adapterName,
    hasTimestamps: acquired.hasTimestamps,
    pipelineStats: pipelines.stats,
    get lostReason() {
      return lostReason;
    },
    async run(args) {
      const shape = checkAttentionArgs(args);
      if (lostReason !== undefined) throw new GpuError(`the GPU device was lost (${lostReason}); create a new engine`);
      const decodable = canDecode(shape, args.variant ?? plainAttention());
      const kernel = args.kernel ?? (decodable ? 'decode' : 'prefill');
      if (kernel === 'decode' && !decodable) {
        throw new AttentionInputError('kernel', "'decode' needs at most one query per request and no key, value or output transform");
      }
      return kernel === 'decode' ? decode.run(shape, args, args.plan) : ragged.run(shape, args);
    },
    destroy() {
      if (!options.device) device.destroy();
      retained.length = 0;
    },
  };
}

function cpuEngine(): Engine {
  return {
    backend: 'cpu',
    description: 'CPU reference (float64 accumulation)',
    hasTimestamps: false,
    lostReason: undefined,
    async run(args) {
      const started = performance.now();
      const result = referenceAttention(args);
      return { ...result, timing: { ms: performance.now() - started, source: 'cpu' } };
    },
    destroy() {},
  };
}
