/** GPU time of one compute pass from timestamp queries (begin and end of the pass). */
export class PassTimer {
  private readonly querySet: GPUQuerySet;
  private readonly resolve: GPUBuffer;
  private readonly staging: GPUBuffer;

  constructor(device: GPUDevice, label: string) {
    this.querySet = device.createQuerySet({ label: `${label} timestamps`, type: 'timestamp', count: 2 });
    this.resolve = device.createBuffer({
      label: `${label} timestamps resolved`,
      size: 16,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
    });
    this.staging = device.createBuffer({
      label: `${label} timestamps readback`,
      size: 16,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
  }

  passWrites(): GPUComputePassTimestampWrites {
    return { querySet: this.querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 };
  }

  /** Call after the pass ends and before `finish()`. */
  encodeResolve(encoder: GPUCommandEncoder): void {
    encoder.resolveQuerySet(this.querySet, 0, 2, this.resolve, 0);
    encoder.copyBufferToBuffer(this.resolve, 0, this.staging, 0, 16);
  }

  /** Milliseconds between the two timestamps; call after submit. */
  async read(): Promise<number> {
    await this.staging.mapAsync(GPUMapMode.READ);
    const [begin, end] = new BigUint64Array(this.staging.getMappedRange().slice(0));
    this.staging.unmap();
    return end > begin ? Number(end - begin) / 1e6 : 0;
  }

  destroy(): void {
    this.querySet.destroy();
    this.resolve.destroy();
    this.staging.destroy();
  }
}
