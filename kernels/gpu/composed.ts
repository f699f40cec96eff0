import { AttentionInputError } from '../errors.ts';
import { checkAttentionArgs, tileKeyEnd, type BatchShape } from '../formats/batch.ts';
import { bsrTileLists, splitTileLists, TILE_FULL, TILE_MASKED, type TileLists } from '../formats/bsr-tiles.ts';
import type { BsrLayout } from '../formats/bsr.ts';
import { cascadeLevels, foldQueryHeads } from '../formats/cascade.ts';
import type { AttentionArgs, AttentionResult } from '../types.ts';
import { checkPlan, type Plan, type WorkItem } from '../plan/plan.ts';
import { outputBuffer } from './buffers.ts';
import { canDecode, type DecodeAttentionKernel } from './decode-attention.ts';
import { runIntoOutputs, type ComputeStep, type RepeatOptions } from './dispatch.ts';
import type { MergeKernel } from './merge.ts';
import { outputLengths, plainAttention, TILED_KEYS, type RaggedAttentionKernel } from './ragged-attention.ts';

/** The kernels one engine composes. */
export interface Kernels {
  device: GPUDevice;
  hasTimestamps: boolean;
  ragged: RaggedAttentionKernel;
  decode: DecodeAttentionKernel;
  merge: MergeKernel;
  /** Workgroups to aim for when splitting keys (the engine's planWorkgroups). */
  workgroups: number;
}

/** Passes under construction; buffers they make go in the run's `owned` (destroyed after it, or on failure). */
class Passes {
  readonly steps: ComputeStep[] = [];

  constructor(
    private readonly device: GPUDevice,
    private readonly owned: GPUBuffer[],
  ) {}

  buffer(label: string, bytes: number): GPUBuffer {
    const buffer = outputBuffer(this.device, label, bytes);
    this.owned.push(buffer);
    return buffer;
  }

  add(built: { steps?: ComputeStep[]; step?: ComputeStep; owned: GPUBuffer[] }): void {
    this.owned.push(...built.owned);
    if (built.steps) this.steps.push(...built.steps);
    if (built.step) this.steps.push(built.step);
  }
}

/** Partial states for `rows` rows of all heads: the buffer and where its lse part starts (floats). */
function partialStates(passes: Passes, shape: BatchShape, rows: number): { partial: GPUBuffer; partialLseOffset: number } {
  const partialLseOffset = rows * shape.numQoHeads * shape.headDim;
  return { partial: passes.buffer('partial states', (partialLseOffset + rows * shape.numQoHeads) * 4), partialLseOffset };
}

/**
 * Merges `parts` partial rows per query row into the output. With `group` > 1 the parts come from
 * a level that folded each KV head's query heads into rows: partial row (t·group + j)·parts + s
 * holds query t's heads j, group + j, …, so merge (t, j) gathers its parts and the merge kernel
 * spreads the KV heads back to query heads j + g·group (`outHeadStride`).
 */
function rowMerges(totalQo: number, parts: number, group = 1): Uint32Array {
  const merges = new Uint32Array(4 * totalQo * group);
  for (let t = 0; t < totalQo; t++) {
    for (let j = 0; j < group; j++) merges.set([t, j, (t * group + j) * parts, parts], 4 * (t * group + j));
  }
  return merges;
}

/** Runs the passes `make` builds into the batch's outputs (`runIntoOutputs`). */
async function runComposed(kernels: Kernels, shape: BatchShape, label: string, make: (passes: Passes, o: GPUBuffer, lse: GPUBuffer) => Promise<void>, repeat?: RepeatOptions) {
  return runIntoOutputs(kernels.device, label, outputLengths(shape), kernels.hasTimestamps, async (o, lse, owned) => {
    const passes = new Passes(kernels.device, owned);
    await make(passes, o, lse);
    return passes.steps;
  }, repeat);
}

/**
 * Composable formats on the GPU: every layout's blocks run on the tiled kernel in one pass, each
 * query tile once per layout, writing partial states; one merge pass contracts each row's parts.
 */
export async function runFormats(kernels: Kernels, shape: BatchShape, args: AttentionArgs, formats: readonly BsrLayout[], repeat?: RepeatOptions): Promise<AttentionResult> {
  if (!Array.isArray(formats) || formats.length === 0) throw new AttentionInputError('formats', 'needs at least one BSR layout');
  const lists = bsrTileLists(shape, formats, { tileQ: kernels.ragged.tileRowsForLayouts(shape, formats), tileK: TILED_KEYS });
  const parts = lists.partialsPerRow;
  const { arrays, timing, runTimes } = await runComposed(kernels, shape, 'attention_formats', async (passes, o, lse) => {
    // One layout writes the output itself; several write partial states for the merge.
    if (!parts) {
      passes.add(await kernels.ragged.buildSteps(shape, args, { o, lse }, lists));
      return;
    }
    const states = partialStates(passes, shape, shape.totalQo * parts);
    passes.add(await kernels.ragged.buildSteps(shape, args, { o, lse, ...states }, lists));
    const variant = args.variant ?? plainAttention();
    passes.add(await kernels.merge.step({ headDim: shape.headDim, useSoftmax: variant.useSoftmax, numQoHeads: shape.numQoHeads, merges: rowMerges(shape.totalQo, parts), ...states, partHeads: shape.numQoHeads, o, lse }));
  }, repeat);
  return { o: arrays[0], lse: arrays[1], timing, runTimes, kernel: 'prefill-composed' };
}

/**
 * How many runs of tiles the shared level's keys are cut into: about `workgroups / 4` items (a
 * quarter of what decode plans fill: each item also reads its query tile and writes partial
 * states, so short items cost more than they spread; measured on an H100, 256 items beat 128, 512
 * and 1024 for a 4096-key prefix), and at least two key tiles per item.
 */
export function cascadeSplits(prefix: BatchShape, workgroups: number, tileRows = 64): number {
  const queryTiles = Math.ceil(prefix.totalQo / tileRows);
  const keyTiles = Math.ceil(prefix.kvLens[0] / TILED_KEYS);
  return Math.max(1, Math.min(Math.floor(keyTiles / 2), Math.round(workgroups / 4 / (queryTiles * prefix.numQoHeads))));
}

/**
 * Cascade attention (two levels, formats/cascade.ts): each request's own keys first (the decode
 * kernel when the batch decodes, else the prefill kernel) into the output; then every query of the
 * batch against the shared prefix on the tiled kernel, its keys split over enough workgroups to
 * fill the GPU, writing partial states; then one merge of each row's parts into the output.
 */
export async function runCascade(kernels: Kernels, args: AttentionArgs, prefixLen: number, repeat?: RepeatOptions): Promise<AttentionResult> {
  const levels = cascadeLevels(args, prefixLen);
  const shape = checkAttentionArgs(args);
  const folded = foldQueryHeads(levels.prefix);
  const prefix = checkAttentionArgs(folded);
  const suffix = checkAttentionArgs(levels.suffix);
  const variant = args.variant ?? plainAttention();
  const tileRows = kernels.ragged.tileRows(prefix);
  const splits = cascadeSplits(prefix, kernels.workgroups, tileRows);
  const lists: TileLists = splitTileLists(prefix, splits, { tileQ: tileRows, tileK: TILED_KEYS, kind: prefix.causal ? TILE_MASKED : TILE_FULL });
  const { arrays, timing, runTimes } = await runComposed(kernels, shape, 'attention_cascade', async (passes, o, lse) => {
    const own = canDecode(suffix, variant) && args.kernel !== 'prefill'
      ? await kernels.decode.buildSteps(suffix, { ...levels.suffix, plan: args.plan }, { o, lse })
      : await kernels.ragged.buildSteps(suffix, levels.suffix, { o, lse });
    passes.add(own);
    const states = partialStates(passes, shape, shape.totalQo * splits);
    passes.add(await kernels.ragged.buildSteps(prefix, folded, { o, lse, ...states }, lists));
    passes.add(await kernels.merge.step({ headDim: shape.headDim, useSoftmax: variant.useSoftmax, numQoHeads: shape.numQoHeads, merges: rowMerges(shape.totalQo, splits, shape.group), ...states, partHeads: prefix.numQoHeads, o, lse, includeOutput: true, outHeadStride: shape.group }));
  }, repeat);
  return { o: arrays[0], lse: arrays[1], timing, runTimes, kernel: 'cascade' };
}

/**
 * A `plan()` (or naive plan) executed on the register-tiled kernel, for batches the decode kernel
 * does not run (prefill, append, mixed): each plan item becomes one workgroup per query tile, over
 * the item's keys; items are launched in the plan's predicted start order; the items of a split
 * query tile write partial states that one merge pass contracts. Every query head runs the same
 * items (dispatch y), so a plan must split all heads alike (`plan()` and `naivePlan()` do), its
 * query tiles must be whole kernel tiles, and its key chunks whole 64-key tiles.
 */
export async function runPlanned(kernels: Kernels, shape: BatchShape, args: AttentionArgs, planned: Plan, repeat?: RepeatOptions): Promise<AttentionResult> {
  const tileRows = kernels.ragged.tileRows(shape);
  const work = plannedTileLists(shape, planned, tileRows);
  const { arrays, timing, runTimes } = await runComposed(kernels, shape, 'attention_planned', async (passes, o, lse) => {
    // Without split query tiles every item writes the output itself.
    if (!work.partialRows) {
      passes.add(await kernels.ragged.buildSteps(shape, args, { o, lse }, work.lists));
      return;
    }
    const states = partialStates(passes, shape, work.partialRows);
    passes.add(await kernels.ragged.buildSteps(shape, args, { o, lse, ...states }, work.lists));
    const variant = args.variant ?? plainAttention();
    passes.add(await kernels.merge.step({ headDim: shape.headDim, useSoftmax: variant.useSoftmax, numQoHeads: shape.numQoHeads, merges: work.merges, ...states, partHeads: shape.numQoHeads, o, lse }));
  }, repeat);
  return { o: arrays[0], lse: arrays[1], timing, runTimes, kernel: 'prefill-planned', plan: planned };
}

/** A plan as the tiled kernel's items and lists, with the merges of its split query tiles. */
export function plannedTileLists(shape: BatchShape, planned: Plan, tileRows: number): { lists: TileLists; merges: Uint32Array; /** Partial rows (of all heads each). */ partialRows: number } {
  checkPlan(shape, planned);
  if (planned.qoTile % tileRows !== 0 && planned.kind !== 'naive') {
    throw new AttentionInputError('plan.qoTile', `is ${planned.qoTile}; the prefill kernel runs ${tileRows}-row query tiles, so plan items must cover whole tiles`);
  }
  // Items of head group 0 give the structure; every other head group must repeat it.
  const structure = (item: WorkItem) => `${item.request}:${item.qoStart}:${item.qoEnd}:${item.kvStart}:${item.kvEnd}`;
  const first = planned.items.filter((item) => item.qoHead === 0);
  const shapeOf = new Set(first.map(structure));
  for (const [n, item] of planned.items.entries()) {
    if (!shapeOf.has(structure(item))) {
      throw new AttentionInputError('plan.items', `entry ${n} (request ${item.request}, heads ${item.qoHead}..${item.qoHeadEnd}) splits its queries or keys unlike head 0's items; the prefill kernel runs every head of an item together`);
    }
  }
  // Launch order: the plan's predicted start, then its slot.
  first.sort((a, b) => a.start - b.start || a.workgroup - b.workgroup || a.id - b.id);
  // Split query tiles: the chunks of (request, qoStart) in key order.
  const chunks = new Map<string, WorkItem[]>();
  for (const item of first) {
    const key = `${item.request}:${item.qoStart}`;
    chunks.set(key, chunks.get(key) ?? []).get(key)!.push(item);
  }
  for (const parts of chunks.values()) parts.sort((a, b) => a.kvStart - b.kvStart);
  const items: number[] = [];
  const lists: number[] = [];
  const entries: number[] = [];
  const merges: number[] = [];
  const counts = { full: 0, masked: 0, mixed: 0, skipped: 0 };
  const partialBase = new Map<string, number>();
  let partialRows = 0;
  for (const [key, parts] of chunks) {
    if (parts.length < 2) continue;
    const { request, qoStart, qoEnd } = parts[0];
    partialBase.set(key, partialRows);
    for (let qo = qoStart; qo < qoEnd; qo++) merges.push(shape.qoIndptr[request] + qo, 0, partialRows + (qo - qoStart) * parts.length, parts.length);
    partialRows += (qoEnd - qoStart) * parts.length;
  }
  for (const item of first) {
    const { request, qoStart, qoEnd, kvStart, kvEnd } = item;
    const kvLen = shape.kvLens[request];
    if (kvStart % TILED_KEYS !== 0 || (kvEnd % TILED_KEYS !== 0 && kvEnd !== kvLen)) {
      throw new AttentionInputError('plan.items', `entry ${item.id} covers keys ${kvStart}..${kvEnd}; the prefill kernel reads whole ${TILED_KEYS}-key tiles, so chunks must start and end on them`);
    }
    const key = `${request}:${qoStart}`;
    const parts = chunks.get(key)!;
    const chunk = parts.indexOf(item);
    const qoBase = shape.qoIndptr[request];
    for (let q0 = qoStart; q0 < qoEnd; q0 += tileRows) {
      if (parts.length > 1) {
        // Query qo's partial row is base + (qo − qoStart)·chunks + chunk; the kernel computes
        // out_base + (qo_base + qo)·out_stride in u32 arithmetic, which wraps alike (mod 2³²).
        const outBase = (partialBase.get(key)! + chunk - (qoBase + qoStart) * parts.length) >>> 0;
        items.push(request, q0, outBase, parts.length);
      } else {
        items.push(request, q0, 0, 0);
      }
      const bound = tileKeyEnd(shape, request, q0, tileRows);
      const firstEntry = entries.length;
      for (let kv0 = kvStart; kv0 < Math.min(kvEnd, bound); kv0 += TILED_KEYS) entries.push(kv0, TILE_MASKED);
      lists.push(firstEntry, (entries.length - firstEntry) / 2);
      counts.masked += (entries.length - firstEntry) / 2;
    }
  }
  return {
    lists: {
      tileQ: tileRows, tileK: TILED_KEYS, listHeads: 1, counts, partialsPerRow: partialRows > 0 ? 1 : 0,
      items: Uint32Array.from(items), lists: Uint32Array.from(lists), entries: Uint32Array.from(entries), bitmaps: new Uint32Array(0),
    },
    merges: Uint32Array.from(merges),
    partialRows,
  };
}
