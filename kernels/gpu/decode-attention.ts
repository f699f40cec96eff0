import decodeTemplate from '../wgsl/attention_decode.wgsl?raw';
import laneSumsShared from '../wgsl/decode_lane_sums_shared.wgsl?raw';
import laneSumsSubgroup from '../wgsl/decode_lane_sums_subgroup.wgsl?raw';
import { AttentionInputError } from '../errors.ts';
import { kvData, type BatchShape } from '../formats/batch.ts';
import { DECODE_ITEM_OVERHEAD, decodePlanDevice } from '../plan/models.ts';
import { choosePlan, type Plan, type PlanChoice, type PlanDevice } from '../plan/plan.ts';
import type { AttentionArgs, AttentionResult, HeadDim } from '../types.ts';
import type { CompiledVariant } from '../variant/compile.ts';
import { resolveVariantInputs } from '../variant/inputs.ts';
import { kernelSource } from '../variant/kernel-source.ts';
import { outputBuffer, storageBuffer } from './buffers.ts';
import { runIntoOutputs, uniformBuffer, type ComputeStep, type RepeatOptions } from './dispatch.ts';
import { checkDeviceLimits } from './limits.ts';
import { MergeKernel } from './merge.ts';
import { bindGroupLayout, type PipelineCache } from './pipelines.ts';
import { attentionParams, outputLengths, packBatchInfo, packHookInputs, plainAttention } from './ragged-attention.ts';

/** Words per work item in the decode kernel's list: request, query row, first query head, first key, end key, partial slot. */
export const DECODE_ITEM_WORDS = 6;
/** The partial slot of an item that is its rows' only item: it writes the output directly. */
export const DIRECT = 0xffffffff;

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

/** What the decode kernel runs: a plan from `plan()`/`naivePlan()`, or which of them to make. */
export type DecodePlanChoice = PlanChoice;

/**
 * The plan a decode batch runs, at the kernel's granularity: items of `heads` query heads (one
 * KV head's group, sharing each K/V load). A given plan is checked against the batch; its
 * `itemHeads` must be 1, 2 or 4 and divide the GQA group.
 */
export function decodePlan(shape: BatchShape, choice: DecodePlanChoice, device: PlanDevice, heads = decodeHeads(shape.group)): Plan {
  return choosePlan(shape, choice, device, { itemHeads: heads, itemOverhead: DECODE_ITEM_OVERHEAD }, (given) => {
    if (![1, 2, 4].includes(given.itemHeads) || shape.group % given.itemHeads !== 0) {
      throw new AttentionInputError('plan', `covers ${given.itemHeads} query heads per item; the decode kernel runs 1, 2 or 4 heads of one KV head's group (${shape.group} here)`);
    }
  });
}

/** A plan packed for the decode kernel: each workgroup's items in the order it runs them, and the merges. */
export interface DecodeWorkList {
  /** Query heads per item (the kernel's HEADS; the partial slots hold this many). */
  heads: number;
  /** Workgroups to dispatch: the plan's workgroups that have items. */
  workgroups: number;
  /** `workgroups + 1` offsets into the items: workgroup w runs items `indptr[w] .. indptr[w+1]`. */
  indptr: Uint32Array;
  /** DECODE_ITEM_WORDS per item, workgroup after workgroup, each workgroup's by predicted start. */
  items: Uint32Array;
  /** 4 words per merge: output row, first query head, first partial slot, number of slots. */
  merges: Uint32Array;
  /** Partial states: o `[partialSlots, heads, headDim]`, then lse `[partialSlots, heads]`. */
  partialSlots: number;
}

/** Packs a checked decode plan: items of split rows get consecutive partial slots (in key order), the rest write directly. */
export function decodeWorkList(shape: BatchShape, planned: Plan): DecodeWorkList {
  const slotOf = new Map<number, number>();
  const merges: number[] = [];
  for (const merge of planned.merges) {
    const ids = [...merge.items].sort((a, b) => planned.items[a].kvStart - planned.items[b].kvStart);
    merges.push(shape.qoIndptr[merge.request] + merge.qoStart, merge.qoHead, slotOf.size, ids.length);
    for (const id of ids) slotOf.set(id, slotOf.size);
  }
  const order = planned.items.map((_, id) => id).sort((a, b) => planned.items[a].workgroup - planned.items[b].workgroup || planned.items[a].start - planned.items[b].start || a - b);
  const workgroups = order.length ? planned.items[order[order.length - 1]].workgroup + 1 : 0;
  const indptr = new Uint32Array(workgroups + 1);
  const items = new Uint32Array(order.length * DECODE_ITEM_WORDS);
  order.forEach((id, n) => {
    const item = planned.items[id];
    indptr[item.workgroup + 1] = n + 1;
    items.set([item.request, shape.qoIndptr[item.request] + item.qoStart, item.qoHead, item.kvStart, item.kvEnd, slotOf.get(id) ?? DIRECT], n * DECODE_ITEM_WORDS);
  });
  for (let w = 1; w <= workgroups; w++) indptr[w] = Math.max(indptr[w], indptr[w - 1]);
  return { heads: planned.itemHeads, workgroups, indptr, items, merges: Uint32Array.from(merges), partialSlots: slotOf.size };
}

/** Where the decode steps write: `o` `[totalQo, numQoHeads, headDim]` and `lse` `[totalQo, numQoHeads]` (f32, STORAGE). */
export interface DecodeOutputs {
  o: GPUBuffer;
  lse: GPUBuffer;
}

/** The compute passes of one decode run, ready to encode in order, and the buffers they made (the caller destroys them after the run). */
export interface DecodeSteps {
  steps: ComputeStep[];
  owned: GPUBuffer[];
  /** The plan the steps execute. */
  plan: Plan;
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

/**
 * Runs a decode plan: each workgroup walks its own list of items (a persistent workgroup), an item
 * being one request's chunk of keys for the query heads of one KV head; items of split rows write
 * partial states that the merge (the contraction) combines, the others write the output.
 */
export class DecodeAttentionKernel {
  private readonly decodeLayout: GPUBindGroupLayout;
  private readonly merge: MergeKernel;

  constructor(
    private readonly device: GPUDevice,
    private readonly hasTimestamps: boolean,
    private readonly pipelines: PipelineCache,
    private readonly tuning: DecodeTuning,
    /** What plans are made for (`planWorkgroups` of the engine). */
    readonly planDevice: PlanDevice = decodePlanDevice(),
  ) {
    this.decodeLayout = bindGroupLayout(device, 'attention_decode bindings', {
      uniform: [0, 7],
      'read-only-storage': [1, 2, 3, 4, 8],
      storage: [5, 6, 9],
    });
    this.merge = new MergeKernel(device, pipelines);
  }

  /** The plan `run` executes for this batch: `choice` checked, or made at the kernel's head granularity (default balanced). */
  plan(shape: BatchShape, choice: DecodePlanChoice | 'none' = 'balanced'): Plan {
    if (choice === 'none') throw new AttentionInputError('plan', "'none' runs the prefill kernel's launch without a plan; the decode kernel always runs one (use kernel: 'prefill')");
    const heads = this.tuning.heads && shape.group % this.tuning.heads === 0 ? this.tuning.heads : decodeHeads(shape.group);
    return decodePlan(shape, choice, this.planDevice, heads);
  }

  async run(shape: BatchShape, args: AttentionArgs, repeat?: RepeatOptions): Promise<AttentionResult> {
    let plan: Plan | undefined;
    const { arrays, timing, runTimes } = await runIntoOutputs(this.device, 'attention_decode', outputLengths(shape), this.hasTimestamps, async (o, lse, owned) => {
      const built = await this.buildSteps(shape, args, { o, lse });
      owned.push(...built.owned);
      plan = built.plan;
      return built.steps;
    }, repeat);
    return { o: arrays[0], lse: arrays[1], timing, runTimes, kernel: 'decode', plan };
  }

  /**
   * Builds the decode pass (and the merge pass when the plan splits a row) writing into the
   * caller's `o` and `lse`, without running them: for composing with other kernels' passes (e.g.
   * cascade attention). Every row of the batch is written. `args.plan` chooses the plan.
   */
  async buildSteps(shape: BatchShape, args: AttentionArgs, outputs: DecodeOutputs): Promise<DecodeSteps> {
    const { device } = this;
    const planned = this.plan(shape, args.plan);
    const work = decodeWorkList(shape, planned);
    const { heads } = work;
    const variant = args.variant ?? plainAttention();
    const inputs = resolveVariantInputs(variant, args.vars, args.tensors);
    const { hookParams, tensorWords } = packHookInputs(variant, inputs);
    const { lanes, keysInFlight } = this.tuning;
    checkDeviceLimits(device, shape, Math.max(work.workgroups, work.merges.length / 4), tensorWords.byteLength);
    const pageSize = shape.paged?.pageSize ?? 0;
    const decodeLabel = `attention_decode d${shape.headDim} heads ${heads} page ${pageSize} lanes ${lanes ?? 'shared'} keys ${keysInFlight ?? 'default'} variant ${variant.hash}`;
    const decode = await this.pipelines.get(decodeLabel, decodeLabel, () => decodeKernelSource(shape.headDim, heads, variant, pageSize, lanes, keysInFlight), this.decodeLayout);

    const partialLseOffset = work.partialSlots * heads * shape.headDim;
    const { batchInfo, offsets } = packBatchInfo([shape.kvStarts, shape.kvLens, work.items, shape.paged?.kvIndices ?? new Uint32Array(0), work.indptr]);
    const params = attentionParams(shape, args.smScale ?? variant.smScale ?? shape.smScale, [...offsets, partialLseOffset]);
    const { k, v } = kvData(args.kv);
    const partial = outputBuffer(device, 'partial states', work.partialSlots * heads * (shape.headDim + 1) * 4);
    const decodeBuffers: GPUBuffer[] = [
      uniformBuffer(device, 'decode params', params),
      storageBuffer(device, 'q', args.q),
      storageBuffer(device, 'k', k),
      storageBuffer(device, 'v', v),
      storageBuffer(device, 'batch info', batchInfo),
      outputs.o,
      outputs.lse,
      uniformBuffer(device, 'hook params', hookParams),
      storageBuffer(device, 'tensor words', tensorWords),
      partial,
    ];
    const owned = decodeBuffers.filter((buffer) => buffer !== outputs.o && buffer !== outputs.lse);
    const steps: ComputeStep[] = [];
    if (work.workgroups > 0) {
      steps.push({
        label: 'attention_decode',
        pipeline: decode,
        bindGroup: device.createBindGroup({
          label: 'attention_decode bindings',
          layout: this.decodeLayout,
          entries: decodeBuffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
        }),
        groups: [work.workgroups, 1],
      });
    }
    if (work.merges.length) {
      const merged = await this.merge.step({
        headDim: shape.headDim, useSoftmax: variant.useSoftmax, numQoHeads: shape.numQoHeads,
        merges: work.merges, partial, partialLseOffset, partHeads: heads, o: outputs.o, lse: outputs.lse,
      });
      owned.push(...merged.owned);
      steps.push(merged.step);
    }
    return { steps, owned, plan: planned };
  }
}
