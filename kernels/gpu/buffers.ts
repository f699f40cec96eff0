/** Uploads `data` to a new storage buffer. Bindings cannot be empty (and vec4 ones need 16 bytes), so the minimum is 16. */
export function storageBuffer(device: GPUDevice, label: string, data: Float32Array | Uint32Array): GPUBuffer {
  const buffer = device.createBuffer({
    label,
    size: Math.max(16, Math.ceil(data.byteLength / 4) * 4),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
  });
  if (data.byteLength > 0) device.queue.writeBuffer(buffer, 0, data);
  return buffer;
}

export function outputBuffer(device: GPUDevice, label: string, bytes: number): GPUBuffer {
  return device.createBuffer({
    label,
    size: Math.max(4, bytes),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
  });
}

/** A MAP_READ twin of `source`, filled by `encoder`; map it after submit with `readFloat32`. */
export function stagingCopy(device: GPUDevice, encoder: GPUCommandEncoder, source: GPUBuffer): GPUBuffer {
  const staging = device.createBuffer({
    label: `${source.label} (readback)`,
    size: source.size,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  encoder.copyBufferToBuffer(source, 0, staging, 0, source.size);
  return staging;
}

export async function readFloat32(staging: GPUBuffer, length: number): Promise<Float32Array> {
  await staging.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(staging.getMappedRange(0, Math.max(4, length * 4)).slice(0, length * 4));
  staging.unmap();
  return out;
}
