import { describe, expect, it } from 'vitest';
import { create } from 'webgpu';
import { acquireDevice, builtinVariant, checkAttentionArgs, compileVariant, createEngine, GpuError, randomBatch } from '#kernels/index.ts';
import { maxTileRows, tiledKernelSource, tiledWorkgroupBytes, tileRowsFor } from '#kernels/gpu/ragged-attention.ts';
import './dawn.ts';

describe('query rows per register-tiled workgroup', () => {
  it('uses 128-row tiles only where the workgroup memory allows, and refuses to force them elsewhere', async () => {
    const { device } = await acquireDevice(create([]));
    const limit = device.limits.maxComputeWorkgroupStorageSize;
    expect(tiledWorkgroupBytes(64)).toBe(24_832);
    expect(tiledWorkgroupBytes(128)).toBe(45_568);
    expect(maxTileRows(device)).toBe(limit >= 45_568 ? 128 : 64);
    if (limit < 45_568) {
      await expect(createEngine({ backend: 'webgpu', device, prefillTileRows: 128 })).rejects.toThrow(GpuError);
    }
    device.destroy();
  });

  it('specializes to valid WGSL at 128 rows (a device with the memory runs it; bench/ checks it against the reference there)', async () => {
    const { device } = await acquireDevice(create([]));
    const soft = compileVariant(builtinVariant('soft-cap').source);
    if (!soft.ok) throw new Error('soft-cap failed to compile');
    for (const [variant, listed] of [[undefined, 0], [soft.variant, 2]] as const) {
      const module = device.createShaderModule({ code: tiledKernelSource(128, variant, 16, listed, true, 128) });
      const errors = (await module.getCompilationInfo()).messages.filter((m) => m.type === 'error');
      expect(errors.map((m) => `${m.lineNum}: ${m.message}`)).toEqual([]);
    }
    device.destroy();
  });

  it('picks 128 rows for a batch only when its requests average 128 queries or more', () => {
    const shape = (qoLens: number[]) => checkAttentionArgs(randomBatch({ qoLens, kvLens: qoLens.map((n) => n + 1), numQoHeads: 1, numKvHeads: 1, headDim: 64 }));
    expect(tileRowsFor(128, shape([2048, 2048]))).toBe(128);
    expect(tileRowsFor(128, shape([200, 60]))).toBe(128);
    expect(tileRowsFor(128, shape([200, 3]))).toBe(64);
    expect(tileRowsFor(128, shape([1, 1, 1, 0]))).toBe(64);
    expect(tileRowsFor(128, shape([0]))).toBe(64);
    expect(tileRowsFor(64, shape([2048]))).toBe(64);
  });
});
