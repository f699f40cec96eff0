import { describe, expect, it } from 'vitest';
import { bsrFromBlocks, bsrFromMask, bsrStats, naivePlan, plan } from '#kernels/index.ts';
import { blockGrid, cellPixels, divisors } from '#playground/viz/bsr-grid.ts';
import { ganttBars, itemTitle, requestColor } from '#playground/viz/gantt.ts';
import { labPlans, presetBatch, presetKvLens } from '#playground/plan-presets.ts';

describe('blockGrid', () => {
  it('places each stored block at its row and column and leaves the rest empty', () => {
    const matrix = bsrFromBlocks({ rows: 4, cols: 6, R: 2, C: 2, blocks: [{ row: 1, col: 2, partial: true }, { row: 0, col: 0 }] });
    expect(blockGrid(matrix)).toEqual(['full', 'empty', 'empty', 'empty', 'empty', 'partial']);
  });

  it('agrees with bsrStats on the counts of a causal mask', () => {
    const matrix = bsrFromMask((i, j) => j <= i, { rows: 32, cols: 32, R: 8, C: 4 });
    const kinds = blockGrid(matrix);
    const stats = bsrStats(matrix);
    expect(kinds.length).toBe(stats.blockRows * stats.blockCols);
    for (const kind of ['empty', 'full', 'partial'] as const) expect(kinds.filter((k) => k === kind).length).toBe(stats.blocks[kind]);
  });
});

describe('divisors and cellPixels', () => {
  it('lists the block sizes that tile a length, up to a bound', () => {
    expect(divisors(96)).toEqual([1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 96]);
    expect(divisors(256, 128)).toEqual([1, 2, 4, 8, 16, 32, 64, 128]);
  });

  it('gives whole pixels per score that fit the longer side, never less than one', () => {
    expect(cellPixels(128, 64, 512)).toBe(4);
    expect(cellPixels(1000, 10, 512)).toBe(1);
    expect(cellPixels(0, 0, 512)).toBe(512);
  });
});

describe('ganttBars', () => {
  const batch = presetBatch('skewed', 2);
  const balanced = plan(batch, { workgroups: 8 });
  const naive = naivePlan(batch, { workgroups: 8 });
  const timeMax = Math.max(balanced.maxLoad, naive.maxLoad);

  it('draws every item once in its workgroup row, ending inside the shared axis', () => {
    const bars = ganttBars(balanced, timeMax, 600);
    expect(bars.length).toBe(balanced.items.length);
    for (const bar of bars) {
      expect(bar.row).toBe(bar.item.workgroup);
      expect(bar.x + bar.width).toBeLessThanOrEqual(600 + 1e-9);
    }
  });

  it('scales both plans by the same axis, so the longer makespan fills the width', () => {
    const right = (bars: ReturnType<typeof ganttBars>) => Math.max(...bars.map((b) => b.x + b.width));
    expect(right(ganttBars(naive, timeMax, 600))).toBeCloseTo((600 * naive.maxLoad) / timeMax, 9);
    expect(right(ganttBars(balanced, timeMax, 600))).toBeCloseTo((600 * balanced.maxLoad) / timeMax, 9);
  });

  it('titles a bar with its request, head, key range and cost', () => {
    const item = naive.items[0];
    expect(itemTitle(item)).toBe(`request 0, head 0, query 0, keys 0–8191: cost ${item.cost} (0 → ${item.cost})`);
    expect(requestColor(0)).not.toBe(requestColor(1));
  });
});

describe('plan presets', () => {
  it('builds decode batches of 32 requests, one query each', () => {
    for (const preset of ['skewed', 'sharegpt', 'uniform'] as const) {
      const batch = presetBatch(preset, 4);
      expect(batch.kvLens).toHaveLength(32);
      expect(batch.qoLens.every((n) => n === 1)).toBe(true);
      expect(batch.numQoHeads).toBe(4);
    }
    expect(presetKvLens('skewed').slice(0, 2)).toEqual([8192, 256]);
    expect(presetKvLens('sharegpt')).toEqual(presetKvLens('sharegpt'));
  });

  it('makes the balanced plan no slower than the naive plan on every preset', () => {
    for (const preset of ['skewed', 'sharegpt', 'uniform'] as const) {
      const batch = presetBatch(preset, 4);
      expect(plan(batch, { workgroups: 32 }).maxLoad).toBeLessThanOrEqual(naivePlan(batch, { workgroups: 32 }).maxLoad);
    }
  });

  it("labPlans forces the balanced plan's chunk when given one, and otherwise lets plan() choose", () => {
    const batch = presetBatch('skewed', 1);
    expect(labPlans(batch, 32, 2048).balanced.chunkSize).toBe(2048);
    expect(labPlans(batch, 32, 2048).naive).toEqual(labPlans(batch, 32).naive);
    expect(labPlans(batch, 32).balanced.chunkSize).toBe(512);
  });
});
