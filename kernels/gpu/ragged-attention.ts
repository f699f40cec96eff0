import raggedTemplate from '../wgsl/attention_ragged.wgsl?raw';
import tiledTemplate from '../wgsl/attention_prefill_tiled.wgsl?raw';
import { checkDeviceLimits } from './limits.ts';
import { bindGroupLayout, type PipelineCache } from './pipelines.ts';
import { AttentionInputError, GpuError } from '../errors.ts';
import { kvData, queryTiles, tileKeyEnd, type BatchShape } from '../formats/batch.ts';
import { bsrTileLists, TILE_MIXED, type TileLists } from '../formats/bsr-tiles.ts';
import type { AttentionArgs, AttentionResult, HeadDim } from '../types.ts';
import { compileVariant, type CompiledVariant } from '../variant/compile.ts';
import { hookParamFields } from '../variant/emit-wgsl.ts';
import { resolveVariantInputs, type VariantInputs } from '../variant/inputs.ts';
import { kernelSource } from '../variant/kernel-source.ts';
import { outputBuffer, storageBuffer } from './buffers.ts';
import { runIntoOutputs, uniformBuffer, type ComputeStep, type RepeatOptions } from './dispatch.ts';

/** Tile shape per head dim, chosen so q, k/v and score tiles fit the default 16 KiB of workgroup memory. */
export const RAGGED_TILES: Record<HeadDim, { TILE_Q: number; TILE_K: number; THREADS_PER_ROW: number }> = {
  64: { TILE_Q: 16, TILE_K: 32, THREADS_PER_ROW: 8 },
  128: { TILE_Q: 8, TILE_K: 16, THREADS_PER_ROW: 16 },
};

/** Floats of a batch's outputs: `o` `[totalQo, numQoHeads, headDim]` and `lse` `[totalQo, numQoHeads]`. */
export function outputLengths(shape: BatchShape): { o: number; lse: number } {
  return { o: shape.totalQo * shape.numQoHeads * shape.headDim, lse: shape.totalQo * shape.numQoHeads };
}

/** The bits of -inf, which WGSL cannot write as a constant. */
export const NEG_INF_BITS = 0xff800000;

/**
 * A kernel's parameter block (a multiple of 16 bytes): the header every attention kernel's `Params` starts with
 * (query heads, KV heads, group, causal, sm_scale, the bits of -inf), then `words` of its own.
 */
export function attentionParams(shape: BatchShape, smScale: number, words: number[]): ArrayBuffer {
  const params = new ArrayBuffer(Math.ceil((6 + words.length) / 4) * 16);
  new Uint32Array(params, 0, 4).set([shape.numQoHeads, shape.numKvHeads, shape.group, shape.causal ? 1 : 0]);
  new Float32Array(params, 16, 1)[0] = smScale;
  new Uint32Array(params, 20, 1 + words.length).set([NEG_INF_BITS, ...words]);
  return params;
}

let plainVariant: CompiledVariant | undefined;

/** Softmax attention with no hooks: what runs when no variant is given. */
export function plainAttention(): CompiledVariant {
  if (!plainVariant) {
    const result = compileVariant('');
    if (!result.ok) throw new Error('the empty variant failed to compile');
    plainVariant = result.variant;
  }
  return plainVariant;
}

/** Keys per KV tile of the register-tiled prefill kernel. */
export const TILED_KEYS = 64;
/** Query rows per workgroup of the register-tiled prefill kernel: 64, or 128 where the device has the workgroup memory. */
export type TileRows = 64 | 128;

/**
 * Workgroup memory the register-tiled kernel needs: the staged q and k chunks (16 dims of its rows
 * and keys; a V chunk and the row parts reuse them), the transposed P tile and a flag per row.
 */
export function tiledWorkgroupBytes(tileRows: TileRows, headDim: HeadDim = 128): number {
  const chunk = 16;
  const stagedVecs = Math.max((chunk * tileRows) / 4 + (chunk * TILED_KEYS) / 4, (chunk * headDim) / 4, tileRows * 4);
  return 16 * stagedVecs + 16 * ((TILED_KEYS * tileRows) / 4) + 4 * tileRows;
}

/** The most query rows per workgroup this device runs (`preferred` if given and it fits; else an error). */
export function maxTileRows(device: GPUDevice, preferred?: TileRows): TileRows {
  const fits = (rows: TileRows) => tiledWorkgroupBytes(rows) <= device.limits.maxComputeWorkgroupStorageSize && 2 * rows <= device.limits.maxComputeInvocationsPerWorkgroup;
  if (preferred !== undefined) {
    if (preferred !== 64 && preferred !== 128) throw new GpuError(`prefillTileRows must be 64 or 128, got ${String(preferred)}`);
    if (!fits(preferred)) throw new GpuError(`prefillTileRows ${preferred} needs ${tiledWorkgroupBytes(preferred)} bytes of workgroup memory; this device has ${device.limits.maxComputeWorkgroupStorageSize}`);
    return preferred;
  }
  return fits(128) ? 128 : 64;
}

/** Query rows per workgroup for a batch on a device allowing `maxRows`: 128 when its requests with queries average at least 128 of them. */
export function tileRowsFor(maxRows: TileRows, shape: Pick<BatchShape, 'batchSize' | 'totalQo' | 'qoIndptr'>): TileRows {
  if (maxRows === 64) return 64;
  let withQueries = 0;
  for (let b = 0; b < shape.batchSize; b++) if (shape.qoIndptr[b + 1] > shape.qoIndptr[b]) withQueries++;
  return withQueries > 0 && shape.totalQo / withQueries >= 128 ? 128 : 64;
}

/** Whether the register-tiled kernel can run: no vector hooks (it stages no rows for them) and enough workgroup memory. */
export function canUseTiled(device: GPUDevice, headDim: HeadDim, variant: CompiledVariant): boolean {
  const { queryTransform, keyTransform, valueTransform, outputTransform } = variant.ir.hooks;
  if (queryTransform || keyTransform || valueTransform || outputTransform) return false;
  return tiledWorkgroupBytes(64, headDim) <= device.limits.maxComputeWorkgroupStorageSize;
}

/** How the tiled kernel finds its KV tiles: 0 all up to the causal bound, 1 per-item lists (block-sparse, composed, split), 2 lists with MIXED tiles. */
export type Listed = 0 | 1 | 2;

export function tiledKernelSource(headDim: HeadDim, variant: CompiledVariant = plainAttention(), pageSize = 0, listed: Listed = 0, prefetch = true, tileRows: TileRows = 64): string {
  return kernelSource(tiledTemplate, `attention_prefill_tiled d${headDim}`, variant, {
    constants: { HEAD_DIM: headDim, PAGE_SIZE: pageSize, LISTED: listed, PREFETCH: prefetch ? 1 : 0, TILE_Q: tileRows },
  });
}

/** The prefill/append kernel for a head dim, a variant and a KV layout (pageSize 0: ragged). */
export function raggedKernelSource(headDim: HeadDim, variant: CompiledVariant = plainAttention(), pageSize = 0): string {
  const label = `attention_${pageSize ? `paged${pageSize}` : 'ragged'} d${headDim}`;
  return kernelSource(raggedTemplate, label, variant, { constants: { HEAD_DIM: headDim, PAGE_SIZE: pageSize, ...RAGGED_TILES[headDim] } });
}

/** Runs the tiled prefill/append kernel on one device; pipelines are cached by variant, head dim and page size. */
export class RaggedAttentionKernel {
  private readonly layout: GPUBindGroupLayout;
  /** The most query rows per workgroup the register-tiled kernel uses on this device. */
  readonly maxTileRows: TileRows;
  private readonly fixedTileRows: boolean;

  constructor(
    private readonly device: GPUDevice,
    private readonly hasTimestamps: boolean,
    private readonly pipelines: PipelineCache,
    /** Use the register-tiled kernel where it applies (false: always the simple tiled kernel). */
    private readonly useTiled = true,
    /** The register-tiled kernel reads each stage's data during the previous stage (default true). */
    private readonly prefetch = true,
    /** Query rows per workgroup of the register-tiled kernel; by default 128 where the device has the memory and a batch's requests are long enough. */
    tileRows?: TileRows,
  ) {
    this.maxTileRows = maxTileRows(device, tileRows);
    this.fixedTileRows = tileRows !== undefined;
    this.layout = bindGroupLayout(device, 'attention_ragged bindings', {
      uniform: [0, 7],
      'read-only-storage': [1, 2, 3, 4, 8],
      storage: [5, 6, 9],
    });
  }

  /** Whether this engine runs a variant on the register-tiled kernel (plans, block-sparse and composed runs need it). */
  runsTiled(headDim: HeadDim, variant: CompiledVariant): boolean {
    return this.useTiled && canUseTiled(this.device, headDim, variant);
  }

  /**
   * Query rows per workgroup for a batch: 128 where the device allows and its requests average at
   * least 128 queries (shorter ones would leave most of a 128-row tile idle), else 64.
   */
  tileRows(shape: Pick<BatchShape, 'batchSize' | 'totalQo' | 'qoIndptr'>): TileRows {
    return this.fixedTileRows ? this.maxTileRows : tileRowsFor(this.maxTileRows, shape);
  }

  /**
   * Query rows per workgroup for block-sparse layouts: 128 only where every layout's block rows
   * are multiples of 128 (else a 128-row tile would straddle blocks of different kinds and need
   * the slower MIXED path).
   */
  tileRowsForLayouts(shape: Pick<BatchShape, 'batchSize' | 'totalQo' | 'qoIndptr'>, layouts: readonly { R: number }[]): TileRows {
    const rows = this.tileRows(shape);
    return rows === 128 && layouts.every((layout) => layout.R % 128 === 0) ? 128 : 64;
  }

  private pipeline(headDim: HeadDim, variant: CompiledVariant, pageSize: number, tiled: boolean, listed: Listed = 0, tileRows: TileRows = 64): Promise<GPUComputePipeline> {
    const label = `attention_prefill${tiled ? `_tiled ${tileRows} rows${this.prefetch ? '' : ' no-prefetch'}` : ''}${listed ? ` listed ${listed}` : ''} d${headDim} page ${pageSize} variant ${variant.hash}`;
    const source = () => (tiled ? tiledKernelSource(headDim, variant, pageSize, listed, this.prefetch, tileRows) : raggedKernelSource(headDim, variant, pageSize));
    return this.pipelines.get(label, label, source, this.layout);
  }

  /**
   * Runs the batch; with `args.bsr` the register-tiled kernel walks only the KV tiles the layout's
   * stored blocks touch (formats/bsr-tiles.ts), testing elements only where its blocks need it.
   */
  async run(shape: BatchShape, args: AttentionArgs, repeat?: RepeatOptions): Promise<AttentionResult> {
    const lists = args.bsr ? bsrTileLists(shape, [args.bsr], { tileQ: this.tileRowsForLayouts(shape, [args.bsr]), tileK: TILED_KEYS }) : undefined;
    let kernel: PrefillSteps['kernel'] | undefined;
    const { arrays, timing, runTimes } = await runIntoOutputs(this.device, 'attention_ragged', outputLengths(shape), this.hasTimestamps, async (o, lse, owned) => {
      const built = await this.buildSteps(shape, args, { o, lse }, lists);
      owned.push(...built.owned);
      kernel = built.kernel;
      return built.steps;
    }, repeat);
    return { o: arrays[0], lse: arrays[1], timing, runTimes, kernel };
  }

  /**
   * Builds the prefill pass writing into the caller's buffers, without running it (for composing
   * with other passes: composed formats, cascade). With `lists` the register-tiled kernel walks
   * them; their items with an output stride write partial states to `outputs.partial`.
   */
  async buildSteps(shape: BatchShape, args: AttentionArgs, outputs: PrefillOutputs, lists?: TileLists): Promise<PrefillSteps> {
    const { device } = this;
    const variant = args.variant ?? plainAttention();
    const inputs = resolveVariantInputs(variant, args.vars, args.tensors);
    const { hookParams, tensorWords } = packHookInputs(variant, inputs);
    const tiled = this.runsTiled(shape.headDim, variant);
    if (lists && !tiled) {
      throw new AttentionInputError(args.bsr ? 'bsr' : 'variant', 'block-sparse and composed runs need the register-tiled kernel, which runs no query, key, value or output transform; drop the transform or the layout');
    }
    if (lists?.partialsPerRow && !outputs.partial) throw new Error('tile lists with partial outputs need a partial-states buffer');
    const kernel = lists ? 'prefill-bsr' : tiled ? 'prefill-tiled' : 'prefill';
    const tileRows = lists ? (lists.tileQ as TileRows) : this.tileRows(shape);
    if (lists && (lists.tileK !== TILED_KEYS || (tileRows !== 64 && tileRows !== 128) || tileRows > this.maxTileRows)) {
      throw new Error(`tile lists of ${lists.tileQ} × ${lists.tileK} do not fit the tiled kernel (${this.maxTileRows} rows at most × ${TILED_KEYS} keys)`);
    }
    const queryRows = tiled ? tileRows : RAGGED_TILES[shape.headDim].TILE_Q;
    const tiles = lists ? lists.items : longestFirst(shape, queryTiles(shape, queryRows), queryRows);
    const tileCount = tiles.length / (lists ? 4 : 2);
    checkDeviceLimits(this.device, shape, tileCount, tensorWords.byteLength);
    const pipeline = await this.pipeline(shape.headDim, variant, shape.paged?.pageSize ?? 0, tiled, !lists ? 0 : lists.counts.mixed ? 2 : 1, tileRows);
    if (tileCount === 0) return { steps: [], owned: [], kernel };

    const tables = [shape.qoIndptr, shape.kvStarts, shape.kvLens, tiles, shape.paged?.kvIndices ?? new Uint32Array(0)];
    if (lists) tables.push(...rebasedLists(lists, tables.reduce((sum, table) => sum + table.length, 0)));
    const { batchInfo, offsets } = packBatchInfo(tables);
    const listWords = lists ? [offsets[5], lists.listHeads, outputs.partialLseOffset ?? 0] : [0, 1, 0];
    const params = attentionParams(shape, args.smScale ?? variant.smScale ?? shape.smScale, [offsets[1], offsets[2], offsets[3], offsets[4], ...listWords]);
    const { k, v } = kvData(args.kv);
    const owned = [
      uniformBuffer(device, 'attention params', params),
      storageBuffer(device, 'q', args.q),
      storageBuffer(device, 'k', k),
      storageBuffer(device, 'v', v),
      storageBuffer(device, 'batch info', batchInfo),
      uniformBuffer(device, 'hook params', hookParams),
      storageBuffer(device, 'tensor words', tensorWords),
    ];
    const partial = outputs.partial ?? outputBuffer(device, 'partial states (unused)', 16);
    if (!outputs.partial) owned.push(partial);
    const bindings = [...owned.slice(0, 5), outputs.o, outputs.lse, owned[5], owned[6], partial];
    const bindGroup = device.createBindGroup({
      label: 'attention_ragged bindings',
      layout: this.layout,
      entries: bindings.map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    return { steps: [{ label: 'attention_ragged', pipeline, bindGroup, groups: [tileCount, shape.numQoHeads] }], owned, kernel };
  }
}

/** Where the prefill pass writes: `o`, `lse` as the engine returns them, and partial states (outputs, then lse from `partialLseOffset` floats). */
export interface PrefillOutputs {
  o: GPUBuffer;
  lse: GPUBuffer;
  partial?: GPUBuffer;
  partialLseOffset?: number;
}

/** The prefill pass of one run (none for a batch without queries), the buffers it made, and which kernel it uses. */
export interface PrefillSteps {
  steps: ComputeStep[];
  owned: GPUBuffer[];
  kernel: NonNullable<AttentionResult['kernel']>;
}

/**
 * Query tiles (request, first row) ordered by the keys they visit, most first: workgroups launch in
 * this order, so the long tiles of a causal or skewed batch start early instead of running alone
 * at the end.
 */
export function longestFirst(shape: BatchShape, tiles: Uint32Array, rows: number): Uint32Array {
  const keys = (n: number) => tileKeyEnd(shape, tiles[2 * n], tiles[2 * n + 1], rows);
  const order = Array.from({ length: tiles.length / 2 }, (_, n) => n).sort((a, b) => keys(b) - keys(a) || a - b);
  const sorted = new Uint32Array(tiles.length);
  order.forEach((n, i) => sorted.set(tiles.subarray(2 * n, 2 * n + 2), 2 * i));
  return sorted;
}

/**
 * The lists and entries (then bitmaps) of tile lists as batch_info tables starting at word `base`:
 * list offsets and MIXED bitmap offsets become absolute word offsets into batch_info.
 */
export function rebasedLists(lists: TileLists, base: number): Uint32Array[] {
  const entriesAt = base + lists.lists.length;
  const bitmapsAt = entriesAt + lists.entries.length;
  const bitmapWords = (2 * lists.tileQ * lists.tileK) / 32;
  const listTable = lists.lists.map((word, i) => (i % 2 === 0 ? word + entriesAt : word));
  const entries = lists.entries.map((word, i) => {
    if (i % 2 === 0 || (word & 3) !== TILE_MIXED) return word;
    return (TILE_MIXED | ((bitmapsAt + (word >>> 2) * bitmapWords) << 2)) >>> 0;
  });
  return [listTable, entries, lists.bitmaps];
}

/** Concatenates u32 tables into one buffer; returns where each starts. */
export function packBatchInfo(tables: Uint32Array[]): { batchInfo: Uint32Array; offsets: number[] } {
  const offsets: number[] = [];
  let length = 0;
  for (const table of tables) {
    offsets.push(length);
    length += table.length;
  }
  const batchInfo = new Uint32Array(length);
  tables.forEach((table, i) => batchInfo.set(table, offsets[i]));
  return { batchInfo, offsets };
}

/** Lays out var values and tensor offsets in `HookParams` order, and concatenates tensor words. */
export function packHookInputs(variant: CompiledVariant, inputs: VariantInputs): { hookParams: ArrayBuffer; tensorWords: Uint32Array } {
  const fields = hookParamFields(variant.ir);
  const hookParams = new ArrayBuffer(Math.max(16, Math.ceil((fields.length * 4) / 16) * 16));
  const view = new DataView(hookParams);
  const totalWords = variant.ir.tensors.reduce((sum, t) => sum + inputs.tensors[t.name].length, 0);
  const tensorWords = new Uint32Array(totalWords);
  let offset = 0;
  const values = new Map<string, number>();
  for (const t of variant.ir.tensors) {
    const data = inputs.tensors[t.name];
    tensorWords.set(new Uint32Array(data.buffer, data.byteOffset, data.length), offset);
    values.set(`tensor_${t.name}_offset`, offset).set(`tensor_${t.name}_length`, data.length);
    offset += data.length;
  }
  for (const v of variant.ir.vars) values.set(`var_${v.name}`, inputs.vars[v.name]);
  fields.forEach((field, i) => {
    const value = values.get(field.name)!;
    if (field.type === 'f32') view.setFloat32(i * 4, value, true);
    else if (field.type === 'i32') view.setInt32(i * 4, value, true);
    else view.setUint32(i * 4, value, true);
  });
  return { hookParams, tensorWords };
}

