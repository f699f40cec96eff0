import { AttentionInputError, GpuError } from './errors.ts';
import { checkAttentionArgs, type BatchShape } from './formats/batch.ts';
import { acquireDevice, type AcquiredDevice } from './gpu/device.ts';
import { measureReadBandwidth } from './gpu/bandwidth.ts';
import { canDecode, DecodeAttentionKernel, subgroupLanes } from './gpu/decode-attention.ts';
import { autoPrefillPlan, DECODE_CONCURRENCY, decodePlanDevice, DEFAULT_PLAN_WORKGROUPS, prefillPlanModel } from './plan/models.ts';
import { plainAttention, RaggedAttentionKernel } from './gpu/ragged-attention.ts';
import { PipelineCache, type PipelineStats } from './gpu/pipelines.ts';
import type { RepeatOptions } from './gpu/dispatch.ts';
import { referenceAttention } from './reference/attention.ts';
import { bsrAttention, composableAttention } from './formats/bsr.ts';
import { cascadeLevels } from './formats/cascade.ts';
import { mergeStateArrays } from './formats/merge.ts';
import { runCascade, runFormats, runPlanned, type Kernels } from './gpu/composed.ts';
import { choosePlan, type Plan } from './plan/plan.ts';
import { MergeKernel } from './gpu/merge.ts';
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
  /** Query heads per decode workgroup (a divisor of the GQA group), for tuning. */
  decodeHeads?: number;
  /** Keys each decode key slot loads before using any, for tuning. */
  decodeKeysInFlight?: number;
  /** Use the register-tiled prefill kernel where it applies (default true). */
  tiledPrefill?: boolean;
  /** The register-tiled kernel reads each stage's data a stage ahead (default true), for tuning. */
  prefillPrefetch?: boolean;
  /** Query rows per register-tiled prefill workgroup (64 or 128); by default 128 where the device has the workgroup memory and requests are long. */
  prefillTileRows?: 64 | 128;
  /**
   * Workgroups the decode plans fill (`plan()`'s device), default 1024: WebGPU does not report a
   * GPU's compute units, so this is a setting.
   */
  planWorkgroups?: number;
  /**
   * Items the GPU streams at full speed at once, for the decode plans' predicted time (default
   * 183, fitted on an H100; at most `planWorkgroups`). See `predictedTime` in kernels/plan/.
   */
  planConcurrency?: number;
}

export interface Engine {
  readonly backend: Backend;
  /** Which hardware runs the kernels, in words. */
  readonly description: string;
  /** Whether `run` reports GPU time from timestamp queries (else CPU wall time). */
  readonly hasTimestamps: boolean;
  run(args: AttentionArgs): Promise<AttentionResult>;
  /**
   * Uploads the inputs once, runs untimed for `warmupMs` (GPU clocks rise under sustained load),
   * then times `runs` back-to-back runs: `timing.ms` is their median, `runTimes` each one. This is
   * how kernels are measured for comparison; `run` times one run after an upload, as a learner
   * sees it. WebGPU with timestamp queries only.
   */
  benchmark(args: AttentionArgs, options: RepeatOptions): Promise<AttentionResult>;
  /**
   * This GPU's streaming-read bandwidth in bytes/s (`measureReadBandwidth`): the reference a
   * memory-bound kernel's bytes per second are compared with. WebGPU with timestamp queries only.
   */
  readBandwidth(options?: { bytes?: number; runs?: number; warmupMs?: number }): Promise<number>;
  /**
   * Query rows per workgroup of the register-tiled prefill kernel (head size 128; a batch averaging
   * fewer than 128 queries per request runs 64); undefined on the CPU, or where the GPU runs the
   * simpler kernel for lack of workgroup memory.
   */
  readonly prefillTileRows?: 64 | 128;
  /** Pipeline cache counters (WebGPU only). */
  readonly pipelineStats?: PipelineStats;
  /** Set once the GPU device is lost; every later `run` rejects with this reason. */
  readonly lostReason: string | undefined;
  /** Resolves with `lostReason` when the GPU device is lost (`destroy` loses it too); never on the CPU. */
  readonly lost: Promise<string>;
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
  const lost = device.lost.then((info) => (lostReason = info.message || info.reason || 'unknown reason'));
  const pipelines = new PipelineCache(device);
  let ragged: RaggedAttentionKernel;
  try {
    ragged = new RaggedAttentionKernel(device, acquired.hasTimestamps, pipelines, options.tiledPrefill ?? true, options.prefillPrefetch ?? true, options.prefillTileRows);
  } catch (error) {
    // A setting the device cannot run (prefillTileRows 128 without the memory): the device acquired here goes too.
    if (!options.device) device.destroy();
    throw error;
  }
  const lanes = options.subgroups === false ? undefined : subgroupLanes(device, options.decodeLanes);
  const decode = new DecodeAttentionKernel(device, acquired.hasTimestamps, pipelines, { lanes, heads: options.decodeHeads, keysInFlight: options.decodeKeysInFlight },
    decodePlanDevice(options.planWorkgroups ?? DEFAULT_PLAN_WORKGROUPS, options.planConcurrency ?? DECODE_CONCURRENCY));
  const kernels: Kernels = { device, hasTimestamps: acquired.hasTimestamps, ragged, decode, merge: new MergeKernel(device, pipelines), workgroups: decode.planDevice.workgroups };
  return {
    backend,
    description: acquired.adapterName,
    hasTimestamps: acquired.hasTimestamps,
    pipelineStats: pipelines.stats,
    get lostReason() {
      return lostReason;
    },
    lost,
    run: (args) => execute(args),
    benchmark: (args, repeat) => execute(args, repeat),
    readBandwidth: (measure = {}) => measureReadBandwidth(device, measure.bytes, measure.runs, measure.warmupMs),
    prefillTileRows: ragged.runsTiled(128, plainAttention()) ? ragged.maxTileRows : undefined,
    destroy() {
      if (!options.device) device.destroy();
      retained.length = 0;
    },
  };

  async function execute(args: AttentionArgs, repeat?: RepeatOptions): Promise<AttentionResult> {
    const shape = checkAttentionArgs(args);
    if (lostReason !== undefined) throw new GpuError(`the GPU device was lost (${lostReason}); create a new engine`);
    const format = formatOf(args);
    if (format === 'formats') return runFormats(kernels, shape, args, args.formats!, repeat);
    if (format === 'sharedPrefix') return runCascade(kernels, args, args.sharedPrefix!, repeat);
    const decodable = !args.bsr && canDecode(shape, args.variant ?? plainAttention());
    const kernel = args.kernel ?? (decodable ? 'decode' : 'prefill');
    if (kernel === 'decode' && !decodable) {
      throw new AttentionInputError('kernel', args.bsr
        ? "'decode' does not run block-sparse layouts; leave kernel unset or use 'prefill'"
        : "'decode' needs at most one query per request and no key, value or output transform");
    }
    if (kernel === 'decode') return decode.run(shape, args, repeat);
    const planned = args.bsr ? undefined : prefillPlan(shape, args);
    if (planned) return runPlanned(kernels, shape, args, planned, repeat);
    return ragged.run(shape, args, repeat);
  }

  /** The plan a prefill, append or mixed batch runs on the tiled kernel (see `AttentionArgs.plan`), or undefined for one workgroup per query tile. */
  function prefillPlan(shape: BatchShape, args: AttentionArgs): Plan | undefined {
    if (args.plan === 'none') return undefined;
    if (typeof args.plan === 'string' && args.plan !== 'balanced' && args.plan !== 'naive') {
      throw new AttentionInputError('plan', `must be 'balanced', 'naive', 'none' or a Plan from plan(), got ${String(args.plan)}`);
    }
    const tileRows = ragged.tileRows(shape);
    const workgroups = decode.planDevice.workgroups;
    if (args.plan === undefined) {
      return ragged.runsTiled(shape.headDim, args.variant ?? plainAttention()) ? autoPrefillPlan(shape, tileRows, workgroups) : undefined;
    }
    const { device: planDevice, options: planOptions } = prefillPlanModel(tileRows, shape.numQoHeads, workgroups);
    return choosePlan(shape, args.plan, planDevice, planOptions);
  }
}

function cpuEngine(): Engine {
  return {
    backend: 'cpu',
    description: 'CPU reference (float64 accumulation)',
    hasTimestamps: false,
    lostReason: undefined,
    lost: new Promise<string>(() => {}),
    async run(args) {
      const started = performance.now();
      const result = cpuAttention(args);
      return { ...result, timing: { ms: performance.now() - started, source: 'cpu' } };
    },
    async benchmark() {
      throw new GpuError('benchmark needs the WebGPU backend (timestamp queries)');
    },
    async readBandwidth() {
      throw new GpuError('measuring bandwidth needs the WebGPU backend (timestamp queries)');
    },
    destroy() {},
  };
}

/** Which of the exclusive sparse/composed modes a run asks for; two at once is an error. */
function formatOf(args: AttentionArgs): 'bsr' | 'formats' | 'sharedPrefix' | undefined {
  const asked = (['bsr', 'formats', 'sharedPrefix'] as const).filter((name) => args[name] !== undefined);
  if (asked.length > 1) throw new AttentionInputError(asked[1], `cannot be combined with ${asked[0]}; pass one of bsr, formats and sharedPrefix`);
  return asked[0];
}

/** The CPU backend: the reference, or the block-sparse / composed / cascade reference the arguments ask for. */
function cpuAttention(args: AttentionArgs): { o: Float32Array; lse: Float32Array } {
  const format = formatOf(args);
  if (format === 'bsr') return bsrAttention(args, args.bsr!);
  if (format === 'formats') return composableAttention(args, args.formats!);
  if (format === 'sharedPrefix') {
    const levels = cascadeLevels(args, args.sharedPrefix!);
    return mergeStateArrays([referenceAttention(levels.prefix), referenceAttention(levels.suffix)], args.headDim, { useSoftmax: args.variant?.useSoftmax ?? true });
  }
  return referenceAttention(args);
}
