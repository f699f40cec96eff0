import mergeTemplate from '../wgsl/attention_merge.wgsl?raw';
import { specialize } from '../wgsl/specialize.ts';
import { storageBuffer } from './buffers.ts';
import { uniformBuffer, type ComputeStep } from './dispatch.ts';
import { bindGroupLayout, type PipelineCache } from './pipelines.ts';
import { NEG_INF_BITS } from './ragged-attention.ts';

/** What a merge pass reads and writes. */
export interface MergeJob {
  headDim: number;
  useSoftmax: boolean;
  numQoHeads: number;
  /** 4 words per merge: output row, first query head, first slot, slot count. */
  merges: Uint32Array;
  /** Partial states: outputs `[slots, partHeads, headDim]`, then lse `[slots, partHeads]` from `partialLseOffset` floats. */
  partial: GPUBuffer;
  partialLseOffset: number;
  /** Query heads each slot holds (the grid's second dimension). */
  partHeads: number;
  o: GPUBuffer;
  lse: GPUBuffer;
  /** Also merge what `o` and `lse` already hold for the row (cascade: the suffix level wrote it). */
  includeOutput?: boolean;
  /** Slot head h merges into query head `first head + h × outHeadStride` (default 1). */
  outHeadStride?: number;
}

/** The contraction (attention_merge.wgsl): builds merge passes over partial states; pipelines cached per head dim and softmax. */
export class MergeKernel {
  private readonly layout: GPUBindGroupLayout;

  constructor(
    private readonly device: GPUDevice,
    private readonly pipelines: PipelineCache,
  ) {
    this.layout = bindGroupLayout(device, 'attention_merge bindings', {
      uniform: [0],
      'read-only-storage': [1, 2],
      storage: [3, 4],
    });
  }

  /** The merge pass and the buffers it made (the caller destroys them after the run). */
  async step(job: MergeJob): Promise<{ step: ComputeStep; owned: GPUBuffer[] }> {
    const label = `attention_merge d${job.headDim} softmax ${job.useSoftmax}`;
    const pipeline = await this.pipelines.get(label, label, () => specialize(mergeTemplate, label, { HEAD_DIM: job.headDim, USE_SOFTMAX: job.useSoftmax ? 1 : 0 }), this.layout);
    const params = uniformBuffer(
      this.device,
      'merge params',
      Uint32Array.from([job.numQoHeads, 0, job.partialLseOffset, NEG_INF_BITS, job.partHeads, job.includeOutput ? 1 : 0, job.outHeadStride ?? 1, 0]).buffer,
    );
    const merges = storageBuffer(this.device, 'merges', job.merges);
    const step: ComputeStep = {
      label: 'attention_merge',
      pipeline,
      bindGroup: this.device.createBindGroup({
        label: 'attention_merge bindings',
        layout: this.layout,
        entries: [params, merges, job.partial, job.o, job.lse].map((buffer, binding) => ({ binding, resource: { buffer } })),
      }),
      groups: [job.merges.length / 4, job.partHeads],
    };
    return { step, owned: [params, merges] };
  }
}
