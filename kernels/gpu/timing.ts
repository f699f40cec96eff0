/**
 * GPU time of compute passes from timestamp queries: `spans` (begin, end) pairs, each the
 * beginning of one pass and the end of the same or a later pass.
 */
export class PassTimer {
  private readonly querySet: GPUQuerySet;
  private readonly resolve: GPUBuffer;
  private readonly staging: GPUBuffer;

  constructor(
    device: GPUDevice,
    label: string,
    private readonly spans = 1,
  ) {
    this.querySet = device.createQuerySet({ label: `${label} timestamps`, type: 'timestamp', count: 2 * spans });
    this.resolve = device.createBuffer({
      label: `${label} timestamps resolved`,
      size: 16 * spans,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
    });
    this.staging = device.createBuffer({
      label: `${label} timestamps readback`,
      size: 16 * spans,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
  }

  /** Timestamp writes for a pass that begins and/or ends span `span`. */
  passWrites(span = 0, begins = true, ends = true): GPUComputePassTimestampWrites | undefined {
    // A pass in the middle of a span writes no timestamp (WebGPU rejects writes with neither index).
    if (!begins && !ends) return undefined;
    return {
      querySet: this.querySet,
      ...(begins ? { beginningOfPassWriteIndex: 2 * span } : {}),
      ...(ends ? { endOfPassWriteIndex: 2 * span + 1 } : {}),
    };
  }

  /** Call after the last pass ends and before `finish()`. */
  encodeResolve(encoder: GPUCommandEncoder): void {
    encoder.resolveQuerySet(this.querySet, 0, 2 * this.spans, this.resolve, 0);
    encoder.copyBufferToBuffer(this.resolve, 0, this.staging, 0, 16 * this.spans);
  }

  /** Milliseconds of every span; call after submit. */
  async readAll(): Promise<number[]> {
    await this.staging.mapAsync(GPUMapMode.READ);
    const stamps = new BigUint64Array(this.staging.getMappedRange().slice(0));
    this.staging.unmap();
    return Array.from({ length: this.spans }, (_, i) => (stamps[2 * i + 1] > stamps[2 * i] ? Number(stamps[2 * i + 1] - stamps[2 * i]) / 1e6 : 0));
  }

  destroy(): void {
    this.querySet.destroy();
    this.resolve.destroy();
    this.staging.destroy();
  }
}

/** The median of a list of timings (the mean of the middle two for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
