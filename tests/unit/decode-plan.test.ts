import { describe, expect, it } from 'vitest';
import { canDecode, checkAttentionArgs, decodeHeads, planDecode, plainAttention, randomBatch, DECODE_KEYS } from '#kernels/index.ts';

const shapeOf = (kvLens: number[], qoLens = kvLens.map(() => 1), numQoHeads = 32, numKvHeads = 8) =>
  checkAttentionArgs(randomBatch({ qoLens, kvLens, numQoHeads, numKvHeads, headDim: 64 }));

describe('planDecode', () => {
  it('covers every key of every request exactly once, in chunks of a multiple of the step', () => {
    const shape = shapeOf([4096, 1, 0, 300, 2049]);
    const plan = planDecode(shape);
    expect(plan.chunkSize % DECODE_KEYS).toBe(0);
    for (let b = 0; b < shape.batchSize; b++) {
      const covered = new Array(shape.kvLens[b]).fill(0);
      for (let i = 0; i < plan.items.length; i += 4) {
        if (plan.items[i] !== b) continue;
        for (let j = plan.items[i + 1]; j < plan.items[i + 2]; j++) covered[j]++;
      }
      expect(covered.every((n) => n === 1)).toBe(true);
    }
  });

  it('writes single-chunk requests directly and merges the chunks of split ones', () => {
    const shape = shapeOf([4096, 40]);
    const plan = planDecode(shape, 1024, 256);
    // 8 head groups: 128 items wanted; 4136 keys / 128 → chunks of 256 keys: 16 for request 0, 1 for request 1.
    expect(plan.chunkSize).toBe(256);
    expect(plan.items.length / 4).toBe(17);
    expect(Array.from(plan.merges)).toEqual([0, 0, 16]);
    expect(plan.partialRows).toBe(16);
    expect(Array.from(plan.items.slice(-4))).toEqual([1, 0, 40, 0xffffffff]);
  });

  it('does not split below the minimum chunk when the batch already fills the GPU', () => {
    // 512 requests × 512 keys × 8 head groups is 4096 workgroups already.
    const lens = new Uint32Array(512).fill(512);
    const shape = { ...shapeOf([1]), batchSize: 512, qoIndptr: Uint32Array.from({ length: 513 }, (_, i) => i), kvLens: lens, totalKv: 512 * 512 };
    const plan = planDecode(shape, 1024, 256);
    expect(plan.merges.length).toBe(0);
    expect(plan.items.length / 4).toBe(512);
  });

  it('groups query heads that share a KV head', () => {
    expect([1, 2, 3, 4, 6, 8].map(decodeHeads)).toEqual([1, 2, 1, 4, 2, 4]);
  });

  it('is chosen only for one query per request', () => {
    expect(canDecode(shapeOf([10, 20]), plainAttention())).toBe(true);
    expect(canDecode(shapeOf([10, 20], [1, 2]), plainAttention())).toBe(false);
  });
});
