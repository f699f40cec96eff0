import decodeTemplate from '../wgsl/attention_decode.wgsl?raw';
import mergeTemplate from '../wgsl/attention_merge.wgsl?raw';
import laneSumsShared from '../wgsl/decode_lane_sums_shared.wgsl?raw';
import laneSumsSubgroup from '../wgsl/decode_lane_sums_subgroup.wgsl?raw';
import { kvData, type BatchShape } from '../formats/batch.ts';
import type { AttentionArgs, AttentionResult, HeadDim } from '../types.ts';
import type { CompiledVariant } from '../variant/compile.ts';
import { resolveVariantInputs } from '../variant/inputs.ts';
import { kernelSource } from '../variant/kernel-source.ts';
import { specialize } from '../wgsl/specialize.ts';
import { outputBuffer, storageBuffer } from './buffers.ts';
import { runSteps, uniformBuffer, type ComputeStep, type RepeatOptions } from './dispatch.ts';
import { checkDeviceLimits } from './limits.ts';
import { bindGroupLayout, type PipelineCache } from './pipelines.ts';
import { attentionParams, NEG_INF_BITS, packBatchInfo, packHookInputs, plainAttention } from './ragged-attention.ts';

/** Granularity of chunk boundaries (a multiple of every workgroup's key slots). */
export const DECODE_KEYS = 32;
const DIRECT = 0xffffffff;

/** Query heads per decode workgroup: they share one KV head, so it must divide the group. */
export function decodeHeads(group: number): number {
  return [4, 2, 1].find((h) => group % h === 0)!;
}

/**
 * Whether the split-KV decode kernel can run this batch: one query (or none) per request, and no
 * key, value or output transform (those need whole rows, which the prefill kernel stages).
 */
export function canDecode(shape: BatchShape, variant: CompiledVariant): boolean {
  if (shape.totalQo === 0) return false;
  for (let b = 0; b < shape.batchSize; b++) if (shape.qoIndptr[b + 1] - shape.qoIndptr[b] > 1) return false;
  const hooks = variant.ir.hooks;
  return !hooks.keyTransform && !hooks.valueTransform && !hooks.outputTransform;
}

/** Work items of a decode batch: each request's keys cut into chunks; chunks of split requests are merged. */
export interface DecodePlan {
  /** Keys per chunk (a multiple of DECODE_KEYS). */
  chunkSize: number;
  /** 4 words per item: request, first key, end key, partial row (or 0xffffffff: write the output directly). */
  items: Uint32Array;
  /** 3 words per merge: output row, first partial row, number of partials. */
  merges: Uint32Array;
  partialRows: number;
}

/**
 * Splits keys so that about `targetWorkgroups` workgroups run (enough to fill a large GPU), never
 * cutting chunks below `minChunk` keys, where the merge would cost more than the parallelism gains.
 */
export function planDecode(shape: BatchShape, targetWorkgroups = 1024, minChunk = 256): DecodePlan {
  const headGroups = shape.numQoHeads / decodeHeads(shape.group);
  const wantedItems = Math.max(1, Math.ceil(targetWorkgroups / headGroups));
  const roundUp = (n: number) => Math.ceil(n / DECODE_KEYS) * DECODE_KEYS;
  const chunkSize = roundUp(Math.max(minChunk, Math.ceil(shape.totalKv / wantedItems)));
  const items: number[] = [];
  const merges: number[] = [];
  let partialRows = 0;
  for (let b = 0; b < shape.batchSize; b++) {
    if (shape.qoIndptr[b + 1] === shape.qoIndptr[b]) continue;
    const kvLen = shape.kvLens[b];
    const chunks = Math.max(1, Math.ceil(kvLen / chunkSize));
    if (chunks === 1) {
      items.push(b, 0, kvLen, DIRECT);
      continue;
    }
    merges.push(shape.qoIndptr[b], partialRows, chunks);
    for (let c = 0; c < chunks; c++) items.push(b, c * chunkSize, Math.min(kvLen, (c + 1) * chunkSize), partialRows++);
  }
  return { chunkSize, items: Uint32Array.from(items), merges: Uint32Array.from(merges), partialRows };
}

/**
 * `subgroupLanes`: lanes per key slot when the device has subgroups of at least that size (the
 * lane sum then uses shuffles); undefined for the workgroup-memory fallback with 8 lanes.
 */
export function decodeKernelSource(
  headDim: HeadDim,
  heads: number,
  variant: CompiledVariant = plainAttention(),
  pageSize = 0,
  subgroupLanes?: number,
  /** Keys each slot loads before using any (default: 8 vec4 registers' worth for each of K and V). */
  keysInFlight?: number,
): string {
  // Lanes read a key row together: at most one vec4 each (headDim / 4 lanes).
  const lanes = Math.min(subgroupLanes ?? 8, headDim / 4);
  const vecPerLane = headDim / 4 / lanes;
  const unroll = keysInFlight ?? Math.max(1, 8 / vecPerLane);
  return kernelSource(decodeTemplate, `attention_decode d${headDim}`, variant, {
    constants: { HEAD_DIM: headDim, HEADS: heads, PAGE_SIZE: pageSize, LANES: lanes, WORKGROUP_SIZE: Math.min(128, 16 * lanes), UNROLL: unroll },
    unroll: { HEADS: heads, UNROLL: unroll, VEC_PER_LANE: vecPerLane },
    includes: { lane_sums: subgroupLanes ? laneSumsSubgroup : laneSumsShared },
    enables: subgroupLanes ? ['subgroups'] : [],
  });
}

/**
 * Lanes per key slot with subgroup shuffles on this device (at most `preferred`), or undefined to
 * use workgroup memory. Every lane of a slot repeats the slot's softmax arithmetic, so more lanes
 * cost more than they save in registers (measured on an H200: 32 lanes ran slower than 8).
 */
export function subgroupLanes(device: GPUDevice, preferred = 8): number | undefined {
  if (!device.features.has('subgroups')) return undefined;
  const size = (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo?.subgroupMinSize ?? 0;
  const lanes = Math.min(preferred, size);
  return lanes >= 4 && (lanes & (lanes - 1)) === 0 ? lanes : undefined;
}

/** How the decode kernel is shaped on a device (the defaults suit the GPUs we measured). */
export interface DecodeTuning {
  /** Lanes per key slot with subgroup shuffles; undefined: the workgroup-memory lane sum. */
  lanes: number | undefined;
  /** Query heads per workgroup (must divide the GQA group; default decodeHeads(group)). */
  heads?: number;
  /** Keys each slot loads before using any. */
  keysInFlight?: number;
}

/** Runs split-KV decode and its merge (the contraction) on one device. */
export class DecodeAttentionKernel {
  private readonly decodeLayout: GPUBindGroupLayout;
  private readonly mergeLayout: GPUBindGroupLayout;

  constructor(
    private readonly device: GPUDevice,
    private readonly hasTimestamps: boolean,
    private readonly pipelines: PipelineCache,
    private readonly tuning: DecodeTuning,
  ) {
    this.decodeLayout = bindGroupLayout(device, 'attention_decode bindings', {
      uniform: [0, 7],
      'read-only-storage': [1, 2, 3, 4, 8],
      storage: [5, 6, 9],
    });
    this.mergeLayout = bindGroupLayout(device, 'attention_merge bindings', {
      uniform: [0],
      'read-only-storage': [1, 2],
      storage: [3, 4],
    });
  }

  async run(shape: BatchShape, args: AttentionArgs, plan = planDecode(shape), repeat?: RepeatOptions): Promise<AttentionResult> {
    const { device } = this;
    const variant = args.variant ?? plainAttention();
    const inputs = resolveVariantInputs(variant, args.vars, args.tensors);
    const { hookParams, tensorWords } = packHookInputs(variant, inputs);
    const itemCount = plan.items.length / 4;
    const { lanes, keysInFlight } = this.tuning;
    const heads = this.tuning.heads && shape.group % this.tuning.heads === 0 ? this.tuning.heads : decodeHeads(shape.group);
    checkDeviceLimits(device, shape, itemCount, tensorWords.byteLength);
    const pageSize = shape.paged?.pageSize ?? 0;
    const decodeLabel = `attention_decode d${shape.headDim} heads ${heads} page ${pageSize} lanes ${lanes ?? 'shared'} keys ${keysInFlight ?? 'default'} variant ${variant.hash}`;
    const mergeLabel = `attention_merge d${shape.headDim} softmax ${variant.useSoftmax}`;
    const [decode, merge] = await Promise.all([
      this.pipelines.get(decodeLabel, decodeLabel, () => decodeKernelSource(shape.headDim, heads, variant, pageSize, lanes, keysInFlight), this.decodeLayout),
      this.pipelines.get(mergeLabel, mergeLabel, () => specialize(mergeTemplate, mergeLabel, { HEAD_DIM: shape.headDim, USE_SOFTMAX: variant.useSoftmax ? 1 : 0 }), this.mergeLayout),
    ]);

    const oLength = shape.totalQo * shape.numQoHeads * shape.headDim;
    const lseLength = shape.totalQo * shape.numQoHeads;
    const partialLseOffset = plan.partialRows * shape.numQoHeads * shape.headDim;
    const { batchInfo, offsets } = packBatchInfo([shape.qoIndptr, shape.kvStarts, shape.kvLens, plan.items, shape.paged?.kvIndices ?? new Uint32Array(0)]);
    const params = attentionParams(shape, args.smScale ?? variant.smScale ?? shape.smScale, [offsets[1], offsets[2], offsets[3], offsets[4], offsets[0], partialLseOffset]);
    const { k, v } = kvData(args.kv);
    const o = outputBuffer(device, 'o', oLength * 4);
    const lse = outputBuffer(device, 'lse', lseLength * 4);
    const partial = outputBuffer(device, 'partial states', plan.partialRows * shape.numQoHeads * (shape.headDim + 1) * 4);
    const decodeBuffers: GPUBuffer[] = [
      uniformBuffer(device, 'decode params', params),
      storageBuffer(device, 'q', args.q),
      storageBuffer(device, 'k', k),
      storageBuffer(device, 'v', v),
      storageBuffer(device, 'batch info', batchInfo),
      o,
      lse,
      uniformBuffer(device, 'hook params', hookParams),
      storageBuffer(device, 'tensor words', tensorWords),
      partial,
    ];
    const steps: ComputeStep[] = [
      {
        label: 'attention_decode',
        pipeline: decode,
        bindGroup: device.createBindGroup({
          label: 'attention_decode bindings',
          layout: this.decodeLayout,
          entries: decodeBuffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
        }),
        groups: [shape.numQoHeads / heads, itemCount],
      },
    ];
    const owned = [...decodeBuffers];
    if (plan.merges.length) {
      const mergeParams = uniformBuffer(device, 'merge params', Uint32Array.from([shape.numQoHeads, 0, partialLseOffset, NEG_INF_BITS]).buffer);
      const merges = storageBuffer(device, 'merges', plan.merges);
      owned.push(mergeParams, merges);
      steps.push({
        label: 'attention_merge',
        pipeline: merge,
        bindGroup: device.createBindGroup({
          label: 'attention_merge bindings',
          layout: this.mergeLayout,
          entries: [mergeParams, merges, partial, o, lse].map((buffer, binding) => ({ binding, resource: { buffer } })),
        }),
        groups: [plan.merges.length / 3, shape.numQoHeads],
      });
    }
    const outputs = [{ buffer: o, length: oLength }, { buffer: lse, length: lseLength }];
    const { arrays, timing, runTimes } = await runSteps(device, 'attention_decode', steps, outputs, owned, this.hasTimestamps, repeat);
    return { o: arrays[0], lse: arrays[1], timing, runTimes, kernel: 'decode' };
  }
}
