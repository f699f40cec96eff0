import { AttentionInputError } from '../errors.ts';
import type { BatchShape } from '../formats/batch.ts';

/** Throws AttentionInputError, naming the argument, when a batch exceeds what this device can bind or dispatch. */
export function checkDeviceLimits(device: GPUDevice, shape: BatchShape, workgroupsX: number, tensorBytes: number): void {
  const limits = device.limits;
  const maxBinding = limits.maxStorageBufferBindingSize;
  const kvBytes = shape.kvRows * shape.numKvHeads * shape.headDim * 4;
  const sizes: [string, number][] = [
    ['q', shape.totalQo * shape.numQoHeads * shape.headDim * 4],
    [shape.paged ? 'kv.kPages' : 'kv.k', kvBytes],
    [shape.paged ? 'kv.vPages' : 'kv.v', kvBytes],
    ['tensors', tensorBytes],
  ];
  for (const [name, bytes] of sizes) {
    if (bytes > maxBinding) {
      throw new AttentionInputError(name, `needs ${mib(bytes)} but this device binds at most ${mib(maxBinding)} per buffer`);
    }
  }
  const maxGroups = limits.maxComputeWorkgroupsPerDimension;
  if (workgroupsX > maxGroups) {
    throw new AttentionInputError('qoIndptr', `makes ${workgroupsX} work items, above this device's ${maxGroups} workgroups per dispatch dimension`);
  }
  if (shape.numQoHeads > maxGroups) {
    throw new AttentionInputError('numQoHeads', `${shape.numQoHeads} is above this device's ${maxGroups} workgroups per dimension`);
  }
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}
