import { GpuError, VariantGpuError } from '../errors.ts';
import { mapToSourceLine } from '../variant/kernel-source.ts';

export interface PipelineStats {
  /** Pipelines compiled so far; a cache hit does not add one. */
  created: number;
  /** Milliseconds of the last pipeline creation (shader module + pipeline), 0 on a cache hit. */
  lastCreateMs: number;
}

/**
 * Compute pipelines of one device, keyed by everything that changes their code. A WGSL error in
 * code generated from a variant becomes a VariantGpuError on the learner's lines; any other
 * compiler error is reported as a kernel bug.
 */
export class PipelineCache {
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();
  readonly stats: PipelineStats = { created: 0, lastCreateMs: 0 };

  constructor(private readonly device: GPUDevice) {}

  get(key: string, label: string, code: () => string, layout: GPUBindGroupLayout): Promise<GPUComputePipeline> {
    let pipeline = this.pipelines.get(key);
    if (pipeline) {
      this.stats.lastCreateMs = 0;
      return pipeline;
    }
    pipeline = this.create(label, code(), layout);
    pipeline.catch(() => this.pipelines.delete(key));
    this.pipelines.set(key, pipeline);
    return pipeline;
  }

  private async create(label: string, code: string, layout: GPUBindGroupLayout): Promise<GPUComputePipeline> {
    const started = performance.now();
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
      layout: this.device.createPipelineLayout({ label, bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: 'main' },
    });
    this.stats.created++;
    this.stats.lastCreateMs = performance.now() - started;
    return pipeline;
  }
}

/** A bind group layout from binding numbers per buffer type (compute stage). */
export function bindGroupLayout(device: GPUDevice, label: string, bindings: Partial<Record<GPUBufferBindingType, number[]>>): GPUBindGroupLayout {
  const entries: GPUBindGroupLayoutEntry[] = [];
  for (const [type, numbers] of Object.entries(bindings) as [GPUBufferBindingType, number[]][]) {
    for (const binding of numbers) entries.push({ binding, visibility: GPUShaderStage.COMPUTE, buffer: { type } });
  }
  return device.createBindGroupLayout({ label, entries });
}
