import raggedTemplate from '../wgsl/attention_ragged.wgsl?raw';
import { AttentionInputError, GpuError } from '../errors.ts';
import { queryTiles, type BatchShape } from '../formats/ragged.ts';
import type { AttentionArgs, AttentionResult, HeadDim } from '../types.ts';
import { outputBuffer, readFloat32, stagingCopy, storageBuffer } from './buffers.ts';
import { PassTimer } from './timing.ts';
import { specialize } from '../wgsl/specialize.ts';

/** Tile shape per head dim, chosen so q, k/v and score tiles fit the default 16 KiB of workgroup memory. */
export const RAGGED_TILES: Record<HeadDim, { TILE_Q: number; TILE_K: number; THREADS_PER_ROW: number }> = {
  64: { TILE_Q: 16, TILE_K: 32, THREADS_PER_ROW: 8 },
  128: { TILE_Q: 8, TILE_K: 16, THREADS_PER_ROW: 16 },
};

const NEG_INF_BITS = 0xff800000;

export function raggedKernelSource(headDim: HeadDim): string {
  return specialize(raggedTemplate, `attention_ragged d${headDim}`, { HEAD_DIM: headDim, ...RAGGED_TILES[headDim] });
}

/** Runs ragged attention on one device; pipelines are cached per head dim. */
export class RaggedAttentionKernel {
  private readonly pipelines = new Map<HeadDim, Promise<GPUComputePipeline>>();

  constructor(
    private readonly device: GPUDevice,
    private readonly hasTimestamps: boolean,
  ) {}

  private pipeline(headDim: HeadDim): Promise<GPUComputePipeline> {
    let pipeline = this.pipelines.get(headDim);
    if (!pipeline) {
      const label = `attention_ragged d${headDim}`;
      const module = this.device.createShaderModule({ label, code: raggedKernelSource(headDim) });
      pipeline = this.device.createComputePipelineAsync({ label, layout: 'auto', compute: { module, entryPoint: 'main' } });
      pipeline.catch(() => this.pipelines.delete(headDim));
      this.pipelines.set(headDim, pipeline);
    }
    return pipeline;
  }

  /** Throws AttentionInputError when the batch exceeds what this device can bind or dispatch. */
  private checkLimits(shape: BatchShape, tileCount: number): void {
    const limits = this.device.limits;
    const maxBinding = limits.maxStorageBufferBindingSize;
    const sizes: [string, number][] = [
      ['q', shape.totalQo * shape.numQoHeads * shape.headDim * 4],
      ['kv.k', shape.totalKv * shape.numKvHeads * shape.headDim * 4],
      ['kv.v', shape.totalKv * shape.numKvHeads * shape.headDim * 4],
    ];
    for (const [name, bytes] of sizes) {
      if (bytes > maxBinding) {
        throw new AttentionInputError(name, `needs ${mib(bytes)} but this device binds at most ${mib(maxBinding)} per buffer`);
      }
    }
    const maxGroups = limits.maxComputeWorkgroupsPerDimension;
    if (tileCount > maxGroups) {
      throw new AttentionInputError(
        'qoIndptr',
        `makes ${tileCount} query tiles, above this device's ${maxGroups} workgroups per dispatch dimension`,
      );
    }
    if (shape.numQoHeads > maxGroups) {
      throw new AttentionInputError('numQoHeads', `${shape.numQoHeads} is above this device's ${maxGroups} workgroups per dimension`);
    }
  }

  async run(shape: BatchShape, args: AttentionArgs): Promise<AttentionResult> {
    const { device } = this;
    const { TILE_Q } = RAGGED_TILES[shape.headDim];
    const tiles = queryTiles(shape, TILE_Q);
    const tileCount = tiles.length / 2;
    this.checkLimits(shape, tileCount);
    const oLength = shape.totalQo * shape.numQoHeads * shape.headDim;
    const lseLength = shape.totalQo * shape.numQoHeads;
    if (tileCount === 0) return { o: new Float32Array(oLength), lse: new Float32Array(lseLength) };

    const pipeline = await this.pipeline(shape.headDim);
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    const batch = shape.batchSize + 1;
    const batchInfo = new Uint32Array(2 * batch + tiles.length);
    batchInfo.set(shape.qoIndptr, 0);
    batchInfo.set(shape.kvIndptr, batch);
    batchInfo.set(tiles, 2 * batch);
    const params = new ArrayBuffer(32);
    new Uint32Array(params, 0, 4).set([shape.numQoHeads, shape.numKvHeads, shape.group, shape.causal ? 1 : 0]);
    new Float32Array(params, 16, 1)[0] = shape.smScale;
    new Uint32Array(params, 20, 3).set([NEG_INF_BITS, batch, 2 * batch]);

    const uniform = device.createBuffer({ label: 'attention params', size: 32, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(uniform, 0, params);
    const buffers = [
      uniform,
      storageBuffer(device, 'q', args.q),
      storageBuffer(device, 'k', args.kv.k),
      storageBuffer(device, 'v', args.kv.v),
      storageBuffer(device, 'batch info', batchInfo),
      outputBuffer(device, 'o', oLength * 4),
      outputBuffer(device, 'lse', lseLength * 4),
    ];
    const bindGroup = device.createBindGroup({
      label: 'attention_ragged bindings',
      layout: pipeline.getBindGroupLayout(0),
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

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}
