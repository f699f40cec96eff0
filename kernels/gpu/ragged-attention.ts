import raggedTemplate from '../wgsl/attention_ragged.wgsl?raw';
import { AttentionInputError, GpuError, VariantGpuError } from '../errors.ts';
import { kvData, queryTiles, type BatchShape } from '../formats/ragged.ts';
import type { AttentionArgs, AttentionResult, HeadDim } from '../types.ts';
import { compileVariant, type CompiledVariant } from '../variant/compile.ts';
import { hookParamFields } from '../variant/emit-wgsl.ts';
import { resolveVariantInputs, type VariantInputs } from '../variant/inputs.ts';
import { kernelSource, mapToSourceLine } from '../variant/kernel-source.ts';
import { outputBuffer, readFloat32, stagingCopy, storageBuffer } from './buffers.ts';
import { PassTimer } from './timing.ts';

/** Tile shape per head dim, chosen so q, k/v and score tiles fit the default 16 KiB of workgroup memory. */
export const RAGGED_TILES: Record<HeadDim, { TILE_Q: number; TILE_K: number; THREADS_PER_ROW: number }> = {
  64: { TILE_Q: 16, TILE_K: 32, THREADS_PER_ROW: 8 },
  128: { TILE_Q: 8, TILE_K: 16, THREADS_PER_ROW: 16 },
};

const NEG_INF_BITS = 0xff800000;

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

/** The prefill/append kernel for a head dim, a variant and a KV layout (pageSize 0: ragged). */
export function raggedKernelSource(headDim: HeadDim, variant: CompiledVariant = plainAttention(), pageSize = 0): string {
  const label = `attention_${pageSize ? `paged${pageSize}` : 'ragged'} d${headDim}`;
  return kernelSource(raggedTemplate, label, variant, { HEAD_DIM: headDim, PAGE_SIZE: pageSize, ...RAGGED_TILES[headDim] });
}

const STORAGE_READ = [1, 2, 3, 4, 8];
const STORAGE_WRITE = [5, 6];
const UNIFORMS = [0, 7];

export interface PipelineStats {
  /** Pipelines compiled so far; a cache hit does not add one. */
  created: number;
  /** Milliseconds of the last pipeline creation (shader module + pipeline), 0 on a cache hit. */
  lastCreateMs: number;
}

/** Runs ragged attention on one device; pipelines are cached by variant hash and head dim. */
export class RaggedAttentionKernel {
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();
  private readonly layout: GPUBindGroupLayout;
  readonly stats: PipelineStats = { created: 0, lastCreateMs: 0 };

  constructor(
    private readonly device: GPUDevice,
    private readonly hasTimestamps: boolean,
  ) {
    const entry = (binding: number, buffer: GPUBufferBindingLayout): GPUBindGroupLayoutEntry => ({
      binding,
      visibility: GPUShaderStage.COMPUTE,
      buffer,
    });
    this.layout = device.createBindGroupLayout({
      label: 'attention_ragged bindings',
      entries: [
        ...UNIFORMS.map((b) => entry(b, { type: 'uniform' })),
        ...STORAGE_READ.map((b) => entry(b, { type: 'read-only-storage' })),
        ...STORAGE_WRITE.map((b) => entry(b, { type: 'storage' })),
      ],
    });
  }

  private pipeline(headDim: HeadDim, variant: CompiledVariant, pageSize: number): Promise<GPUComputePipeline> {
    const key = `${variant.hash}:${headDim}:${pageSize}`;
    let pipeline = this.pipelines.get(key);
    if (!pipeline) {
      pipeline = this.createPipeline(headDim, variant, pageSize);
      pipeline.catch(() => this.pipelines.delete(key));
      this.pipelines.set(key, pipeline);
    } else {
      this.stats.lastCreateMs = 0;
    }
    return pipeline;
  }

  private async createPipeline(headDim: HeadDim, variant: CompiledVariant, pageSize: number): Promise<GPUComputePipeline> {
    const started = performance.now();
    const label = `attention d${headDim} page ${pageSize} variant ${variant.hash}`;
    const code = raggedKernelSource(headDim, variant, pageSize);
    const module = this.device.createShaderModule({ label, code });
    const info = await module.getCompilationInfo();
    const errors = info.messages.filter((m) => m.type === 'error');
    if (errors.length) {
      const mapped = errors.map((m) => mapToSourceLine(code, m.lineNum, m.message));
      if (mapped.every((d) => d !== undefined)) throw new VariantGpuError(mapped);
      throw new GpuError(`${label} failed to compile (a kernel bug, not your code): ${errors.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('; ')}`);
    }
    const pipeline = await this.device.createComputePipelineAsync({
      label,
      layout: this.device.createPipelineLayout({ label, bindGroupLayouts: [this.layout] }),
      compute: { module, entryPoint: 'main' },
    });
    this.stats.created++;
    this.stats.lastCreateMs = performance.now() - started;
    return pipeline;
  }

  /** Throws AttentionInputError when the batch exceeds what this device can bind or dispatch. */
  private checkLimits(shape: BatchShape, tileCount: number, tensorBytes: number): void {
    const limits = this.device.limits;
    const maxBinding = limits.maxStorageBufferBindingSize;
    const sizes: [string, number][] = [
      ['q', shape.totalQo * shape.numQoHeads * shape.headDim * 4],
      [shape.paged ? 'kv.kPages' : 'kv.k', shape.kvRows * shape.numKvHeads * shape.headDim * 4],
      [shape.paged ? 'kv.vPages' : 'kv.v', shape.kvRows * shape.numKvHeads * shape.headDim * 4],
      ['tensors', tensorBytes],
    ];
    for (const [name, bytes] of sizes) {
      if (bytes > maxBinding) {
        throw new AttentionInputError(name, `needs ${mib(bytes)} but this device binds at most ${mib(maxBinding)} per buffer`);
      }
    }
    const maxGroups = limits.maxComputeWorkgroupsPerDimension;
    if (tileCount > maxGroups) {
      throw new AttentionInputError('qoIndptr', `makes ${tileCount} query tiles, above this device's ${maxGroups} workgroups per dispatch dimension`);
    }
    if (shape.numQoHeads > maxGroups) {
      throw new AttentionInputError('numQoHeads', `${shape.numQoHeads} is above this device's ${maxGroups} workgroups per dimension`);
    }
  }

  async run(shape: BatchShape, args: AttentionArgs): Promise<AttentionResult> {
    const { device } = this;
    const variant = args.variant ?? plainAttention();
    const inputs = resolveVariantInputs(variant, args.vars, args.tensors);
    const { hookParams, tensorWords } = packHookInputs(variant, inputs);
    const { TILE_Q } = RAGGED_TILES[shape.headDim];
    const tiles = queryTiles(shape, TILE_Q);
    const tileCount = tiles.length / 2;
    this.checkLimits(shape, tileCount, tensorWords.byteLength);
    const oLength = shape.totalQo * shape.numQoHeads * shape.headDim;
    const lseLength = shape.totalQo * shape.numQoHeads;
    const pipeline = await this.pipeline(shape.headDim, variant, shape.paged?.pageSize ?? 0);
    if (tileCount === 0) return { o: new Float32Array(oLength), lse: new Float32Array(lseLength) };

    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    const { batchInfo, offsets } = packBatchInfo([shape.qoIndptr, shape.kvStarts, shape.kvLens, tiles, shape.paged?.kvIndices ?? new Uint32Array(0)]);
    const params = new ArrayBuffer(48);
    new Uint32Array(params, 0, 4).set([shape.numQoHeads, shape.numKvHeads, shape.group, shape.causal ? 1 : 0]);
    new Float32Array(params, 16, 1)[0] = args.smScale ?? variant.smScale ?? shape.smScale;
    new Uint32Array(params, 20, 5).set([NEG_INF_BITS, offsets[1], offsets[2], offsets[3], offsets[4]]);

    const uniform = (label: string, data: ArrayBuffer) => {
      const buffer = device.createBuffer({ label, size: data.byteLength, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
      device.queue.writeBuffer(buffer, 0, data);
      return buffer;
    };
    const buffers = [
      uniform('attention params', params),
      storageBuffer(device, 'q', args.q),
      storageBuffer(device, 'k', kvData(args.kv).k),
      storageBuffer(device, 'v', kvData(args.kv).v),
      storageBuffer(device, 'batch info', batchInfo),
      outputBuffer(device, 'o', oLength * 4),
      outputBuffer(device, 'lse', lseLength * 4),
      uniform('hook params', hookParams),
      storageBuffer(device, 'tensor words', tensorWords),
    ];
    const bindGroup = device.createBindGroup({
      label: 'attention_ragged bindings',
      layout: this.layout,
      entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    const timer = this.hasTimestamps ? new PassTimer(device, 'attention_ragged') : undefined;
    const encoder = device.createCommandEncoder({ label: 'attention_ragged' });
    const pass = encoder.beginComputePass({ label: 'attention_ragged', timestampWrites: timer?.passWrites() });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(tileCount, shape.numQoHeads);
    pass.end();
    timer?.encodeResolve(encoder);
    const oStaging = stagingCopy(device, encoder, buffers[5]);
    const lseStaging = stagingCopy(device, encoder, buffers[6]);
    const started = performance.now();
    device.queue.submit([encoder.finish()]);
    const validation = device.popErrorScope();
    const memory = device.popErrorScope();
    try {
      const [validationError, memoryError] = await Promise.all([validation, memory]);
      const error = validationError ?? memoryError;
      if (error) throw new GpuError(`attention_ragged failed on the GPU: ${error.message}`);
      const [o, lse] = await Promise.all([readFloat32(oStaging, oLength), readFloat32(lseStaging, lseLength)]);
      const wallMs = performance.now() - started;
      const timing = timer ? { ms: await timer.read(), source: 'timestamp' as const } : { ms: wallMs, source: 'wall' as const };
      return { o, lse, timing };
    } finally {
      timer?.destroy();
      for (const buffer of [...buffers, oStaging, lseStaging]) buffer.destroy();
    }
  }
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

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}
