import fc from 'fast-check';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  AUTO_PLAN_GAIN,
  autoPrefillPlan,
  builtinVariant,
  checkAttentionArgs,
  checkPlan,
  compareArrays,
  compileVariant,
  DECODE_ITEM_OVERHEAD,
  decodePlanDevice,
  itemCost,
  naivePlan,
  plan,
  predictedTime,
  prefillPlanModel,
  randomBatch,
  referenceAttention,
  runPlanOnCpu,
  shareGptLike,
  type Plan,
  type PlanBatch,
} from '#kernels/index.ts';

import { planCeiling } from '#playground/plan-presets.ts';

const GOLDEN = 'tests/golden/plans';

/** Checks that a plan covers every (request, head, query row, key) of the batch exactly once. */
function expectCoversExactlyOnce(p: Plan, batch: PlanBatch): void {
  for (let b = 0; b < batch.qoLens.length; b++) {
    for (let h = 0; h < batch.numQoHeads; h++) {
      const mine = p.items.filter((item) => item.request === b && item.qoHead <= h && h < item.qoHeadEnd);
      // Query tiles partition [0, qoLen); inside each, key ranges partition [0, kvLen).
      const tiles = [...new Set(mine.map((item) => `${item.qoStart}:${item.qoEnd}`))].map((t) => t.split(':').map(Number)).sort((x, y) => x[0] - y[0]);
      let row = 0;
      for (const [qoStart, qoEnd] of tiles) {
        expect(qoStart, `request ${b} head ${h}: query rows ${row}..${qoStart} covered ${qoStart < row ? 'twice' : 'never'}`).toBe(row);
        row = qoEnd;
        const ranges = mine.filter((item) => item.qoStart === qoStart).sort((x, y) => x.kvStart - y.kvStart);
        expect(ranges.filter((item) => item.qoEnd !== qoEnd)).toEqual([]);
        let key = 0;
        for (const item of ranges) {
          expect(item.kvStart, `request ${b} head ${h} rows ${qoStart}..${qoEnd}: keys from ${key}`).toBe(key);
          expect(item.kvEnd > item.kvStart || batch.kvLens[b] === 0).toBe(true);
          key = item.kvEnd;
        }
        expect(key).toBe(batch.kvLens[b]);
      }
      expect(row, `request ${b} head ${h}: all query rows`).toBe(batch.qoLens[b]);
    }
  }
}

/** Loads are the sums of each workgroup's items, laid end to end without overlap. */
function expectConsistentTimes(p: Plan): void {
  const loads = new Array<number>(p.workgroups).fill(0);
  for (let w = 0; w < p.workgroups; w++) {
    const mine = p.items.filter((item) => item.workgroup === w).sort((x, y) => x.start - y.start);
    for (const item of mine) {
      expect(item.start).toBe(loads[w]);
      expect(item.end).toBe(item.start + item.cost);
      loads[w] = item.end;
    }
  }
  expect(p.loads).toEqual(loads);
  expect(p.maxLoad).toBe(Math.max(0, ...loads));
  expect(p.totalCost).toBe(loads.reduce((s, n) => s + n, 0));
}

const batchArb = fc
  .record({
    requests: fc.array(
      fc.record({ qoLen: fc.oneof(fc.constant(0), fc.constant(1), fc.integer({ min: 1, max: 200 })), kvExtra: fc.integer({ min: 0, max: 3000 }) }),
      { minLength: 1, maxLength: 8 },
    ),
    numQoHeads: fc.integer({ min: 1, max: 4 }),
  })
  .map(({ requests, numQoHeads }): PlanBatch => ({ qoLens: requests.map((r) => r.qoLen), kvLens: requests.map((r) => r.qoLen + r.kvExtra), numQoHeads }));

const skewed: PlanBatch = { qoLens: new Array(64).fill(1), kvLens: [32768, ...new Array(63).fill(512)], numQoHeads: 32 };

describe('itemCost: ceil(qoLen / qoTile) · kvLen + 2 · qoLen', () => {
  it('is FlashInfer’s 2·qoTileLen + kvLen for one tile, and counts each key once per tile beyond', () => {
    expect(itemCost(1, 512)).toBe(514);
    expect(itemCost(64, 100)).toBe(228);
    expect(itemCost(65, 100)).toBe(330);
    expect(itemCost(3, 0)).toBe(6);
    expect(itemCost(0, 1000)).toBe(0);
    expect(itemCost(20, 10, 16)).toBe(60);
  });
});

describe('plan: split KV, longest item first to the least-loaded workgroup', () => {
  it('covers every (request, head, query row, key) exactly once, with consistent predicted times (random mixed batches, heads per item)', () => {
    fc.assert(
      fc.property(batchArb, fc.integer({ min: 1, max: 300 }), fc.option(fc.integer({ min: 16, max: 4000 }), { nil: undefined }), fc.nat(2), (batch, workgroups, chunk, pick) => {
        const divisors = [1, 2, 4].filter((d) => batch.numQoHeads % d === 0);
        const itemHeads = divisors[pick % divisors.length];
        for (const p of [plan(batch, { workgroups }, { chunk, itemHeads }), naivePlan(batch, { workgroups }, { itemHeads })]) {
          expect(p.itemHeads).toBe(itemHeads);
          expectCoversExactlyOnce(p, batch);
          expectConsistentTimes(p);
          checkPlan(batch, p);
        }
      }),
      { numRuns: 80, seed: 12 },
    );
  });

  it('stays within the list-scheduling bound: max load ≤ total / workgroups + the largest item', () => {
    fc.assert(
      fc.property(batchArb, fc.integer({ min: 1, max: 300 }), (batch, workgroups) => {
        const p = plan(batch, { workgroups });
        const largest = Math.max(0, ...p.items.map((item) => item.cost));
        expect(p.maxLoad).toBeLessThanOrEqual(p.totalCost / workgroups + largest);
      }),
      { numRuns: 80, seed: 13 },
    );
  });

  it('on a tie in predicted time keeps the larger chunk, and no chunk beats leaving requests whole', () => {
    // On 2 slots, 2048-key chunks tie with the unsplit plan (3076 units): the split adds a merge for nothing.
    const kvLens = [1476, 1596, 2051, 66, 921];
    const batch = { qoLens: kvLens.map(() => 1), kvLens, numQoHeads: 1 };
    const split = plan(batch, { workgroups: 2 }, { chunk: 2048 });
    const p = plan(batch, { workgroups: 2 });
    expect(p.predicted).toBe(split.predicted);
    expect(p.chunkSize).toBe(0);
    expect(p.merges).toEqual([]);
  });

  it('lists one merge per query tile whose keys were split, in key order', () => {
    const p = plan({ qoLens: [1, 1], kvLens: [1000, 100], numQoHeads: 1 }, { workgroups: 4 }, { chunk: 256 });
    expect(p.chunkSize).toBe(256);
    expect(p.merges).toEqual([{ request: 0, qoHead: 0, qoHeadEnd: 1, qoStart: 0, qoEnd: 1, items: [0, 1, 2, 3] }]);
    expect(p.items.slice(0, 4).map((item) => [item.kvStart, item.kvEnd])).toEqual([[0, 256], [256, 512], [512, 768], [768, 1000]]);
  });

  it('plans groups of query heads as one item (the decode kernel shares K/V loads across them), head group innermost', () => {
    const p = plan({ qoLens: [1], kvLens: [600], numQoHeads: 8 }, { workgroups: 4 }, { chunk: 256, itemHeads: 4 });
    expect(p.items.map((item) => [item.qoHead, item.qoHeadEnd, item.kvStart, item.kvEnd])).toEqual([
      [0, 4, 0, 256], [4, 8, 0, 256], [0, 4, 256, 512], [4, 8, 256, 512], [0, 4, 512, 600], [4, 8, 512, 600],
    ]);
    expect(p.items.map((item) => item.cost)).toEqual([258, 258, 258, 258, 90, 90]);
    expect(p.merges.map((merge) => [merge.qoHead, merge.qoHeadEnd, merge.items])).toEqual([[0, 4, [0, 2, 4]], [4, 8, [1, 3, 5]]]);
    expect(() => plan({ qoLens: [1], kvLens: [6], numQoHeads: 6 }, { workgroups: 2 }, { itemHeads: 4 })).toThrow(/^itemHeads: 4 does not divide the 6 query heads/);
  });

  it('takes the batch shape checkAttentionArgs returns as well as plain lengths', () => {
    const args = randomBatch({ qoLens: [1, 0, 1], kvLens: [700, 5, 0], numQoHeads: 4, numKvHeads: 1, headDim: 64, seed: 1 });
    const lengths = { qoLens: [1, 0, 1], kvLens: [700, 5, 0], numQoHeads: 4 };
    expect(plan(checkAttentionArgs(args), { workgroups: 6 }, { itemHeads: 2 })).toEqual(plan(lengths, { workgroups: 6 }, { itemHeads: 2 }));
    expect(naivePlan(checkAttentionArgs(args), { workgroups: 3 })).toEqual(naivePlan(lengths, { workgroups: 3 }));
  });

  it('on the skewed decode batch (one 32k request + 63 of 512, 32 heads, 132 workgroups) predicts ≥ 2× less time than naive', () => {
    const balanced = plan(skewed, { workgroups: 132 });
    const naive = naivePlan(skewed, { workgroups: 132 });
    expect(naive.maxLoad).toBe(itemCost(1, 32768));
    expect(balanced.maxLoad).toBeLessThanOrEqual(naive.maxLoad / 2);
    expect(balanced.chunkSize).toBeGreaterThan(0);
  });

  it('on skewed batches of any width, balanced max load ≤ naive max load', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1024 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 2048, max: 40000 }), (workgroups, numQoHeads, longKv) => {
        const batch = { ...skewed, kvLens: [longKv, ...skewed.kvLens.slice(1)], numQoHeads };
        expect(plan(batch, { workgroups }).maxLoad).toBeLessThanOrEqual(naivePlan(batch, { workgroups }).maxLoad);
      }),
      { numRuns: 60, seed: 14 },
    );
  });

  it('on a uniform decode batch is no slower than naive', () => {
    const uniform = { qoLens: new Array(64).fill(1), kvLens: new Array(64).fill(2048), numQoHeads: 32 };
    expect(plan(uniform, { workgroups: 132 }).maxLoad).toBeLessThanOrEqual(naivePlan(uniform, { workgroups: 132 }).maxLoad);
  });

  it('rejects bad batches and options, naming them', () => {
    const ok = { qoLens: [1], kvLens: [10], numQoHeads: 1 };
    expect(() => plan(ok, { workgroups: 0 })).toThrow(/^workgroups: must be a whole number ≥ 1, got 0/);
    expect(() => plan(ok, { workgroups: 2 }, { chunk: 2.5 })).toThrow(/^chunk: must be a whole number ≥ 1/);
    expect(() => plan({ ...ok, kvLens: [10, 3] }, { workgroups: 2 })).toThrow(/^kvLens: has 2 requests but qoLens has 1/);
    expect(() => naivePlan({ ...ok, qoLens: [-1] }, { workgroups: 2 })).toThrow(/^qoLens\[0\]: must be a whole number ≥ 0, got -1/);
    expect(() => plan(ok, { workgroups: 2, concurrency: 0 })).toThrow(/^concurrency: must be a whole number ≥ 1, got 0/);
    expect(() => naivePlan(ok, { workgroups: 2 }, { itemOverhead: -1 })).toThrow(/^itemOverhead: must be a whole number ≥ 0, got -1/);
  });
});

describe('causal batches: a query tile costs the keys its last row sees, and its keys are cut only there', () => {
  it('covers every (request, head, query row, key) exactly once, chunk boundaries below each tile’s diagonal', () => {
    fc.assert(
      fc.property(batchArb, fc.integer({ min: 1, max: 300 }), fc.integer({ min: 16, max: 2000 }), fc.constantFrom(1, 16, 64), (lengths, workgroups, chunk, qoTile) => {
        const batch = { ...lengths, causal: true };
        const p = plan(batch, { workgroups }, { chunk, qoTile });
        expectCoversExactlyOnce(p, batch);
        checkPlan(batch, p);
        for (const item of p.items) {
          const { qoLens, kvLens } = batch;
          const seen = Math.max(0, Math.min(kvLens[item.request], kvLens[item.request] - qoLens[item.request] + item.qoEnd));
          // A chunk starts at or before the last key its tile sees (except a tile's only chunk).
          if (item.kvStart > 0) expect(item.kvStart).toBeLessThan(seen);
          const visible = Math.max(0, Math.min(item.kvEnd, seen) - item.kvStart);
          expect(item.cost).toBe(visible + 2 * (item.qoEnd - item.qoStart));
        }
      }),
      { numRuns: 60, seed: 17 },
    );
  });

  it('costs a causal prefill about half of the same batch without the mask', () => {
    const batch = { qoLens: [2048], kvLens: [2048], numQoHeads: 1 };
    const causal = naivePlan({ ...batch, causal: true }, { workgroups: 1 }, { qoTile: 128 });
    const full = naivePlan(batch, { workgroups: 1 }, { qoTile: 128 });
    // 16 tiles seeing 128, 256, … 2048 keys against 16 × 2048.
    expect(causal.totalCost).toBe(128 * (16 * 17) / 2 + 2 * 2048);
    expect(full.totalCost).toBe(16 * 2048 + 2 * 2048);
  });
});

describe('the prefill kernel’s plan model and when a prefill batch runs a plan unasked', () => {
  const causal = (qoLens: number[], kvLens: number[]) => ({ qoLens, kvLens, numQoHeads: 32, causal: true });

  it('plans items of every head on planWorkgroups / heads slots', () => {
    expect(prefillPlanModel(128, 32)).toEqual({ device: { workgroups: 32, concurrency: 6 }, options: { qoTile: 128, itemHeads: 32 } });
    expect(prefillPlanModel(64, 8, 512)).toEqual({ device: { workgroups: 64, concurrency: 50 }, options: { qoTile: 64, itemHeads: 8 } });
    expect(prefillPlanModel(64, 64, 16).device).toEqual({ workgroups: 1, concurrency: 1 });
  });

  it('splits appends onto long caches (measured 1.8x and 3.9x on an H100) and leaves full prefills to the default launch', () => {
    const append = autoPrefillPlan(causal([128, ...Array(15).fill(16)], [32768, ...Array(15).fill(512)]), 64);
    expect(append?.chunkSize).toBeGreaterThan(0);
    expect(append?.itemHeads).toBe(32);
    expect(autoPrefillPlan(causal([128], [8192]), 128)?.chunkSize).toBeGreaterThan(0);
    expect(autoPrefillPlan(causal(Array(8).fill(2048), Array(8).fill(2048)), 128)).toBeUndefined();
    expect(autoPrefillPlan(causal([16384, ...Array(15).fill(512)], [16384, ...Array(15).fill(512)]), 128)).toBeUndefined();
    expect(autoPrefillPlan(causal([2048], [2048]), 128)).toBeUndefined();
    expect(autoPrefillPlan(causal([512, 512, 512, 512], [512, 512, 512, 512]), 128)).toBeUndefined();
  });

  it('runs a plan only where it predicts AUTO_PLAN_GAIN over the unsplit launch', () => {
    fc.assert(
      fc.property(batchArb, fc.constantFrom(64, 128) as fc.Arbitrary<64 | 128>, fc.integer({ min: 32, max: 4096 }), (lengths, tileRows, workgroups) => {
        const batch = { ...lengths, causal: true };
        const chosen = autoPrefillPlan(batch, tileRows, workgroups);
        const { device, options } = prefillPlanModel(tileRows, batch.numQoHeads, workgroups);
        const unsplit = plan(batch, device, { ...options, chunk: Math.max(1, ...batch.kvLens) });
        if (chosen) {
          expect(chosen.chunkSize).toBeGreaterThan(0);
          expect(unsplit.predicted).toBeGreaterThanOrEqual(AUTO_PLAN_GAIN * chosen.predicted);
          expectCoversExactlyOnce(chosen, batch);
        } else {
          const best = plan(batch, device, options);
          expect(best.chunkSize === 0 || unsplit.predicted < AUTO_PLAN_GAIN * best.predicted).toBe(true);
        }
      }),
      { numRuns: 60, seed: 18 },
    );
  });
});

describe('predicted time: the busiest slot or the whole batch over the items streamed at once, each item with its overhead', () => {
  it('adds the item overhead to every item with rows', () => {
    expect(itemCost(1, 512, 64, 128)).toBe(642);
    expect(itemCost(65, 100, 64, 10)).toBe(340);
    expect(itemCost(0, 1000, 64, 128)).toBe(0);
    const p = plan({ qoLens: [1, 1], kvLens: [1000, 0], numQoHeads: 1 }, { workgroups: 4 }, { chunk: 256, itemOverhead: 50 });
    expect(p.items.map((item) => item.cost)).toEqual([308, 308, 308, 284, 52]);
  });

  it('is max(maxLoad, totalCost / concurrency), the makespan when every slot streams at once', () => {
    fc.assert(
      fc.property(batchArb, fc.integer({ min: 1, max: 300 }), fc.option(fc.integer({ min: 1, max: 300 }), { nil: undefined }), fc.nat(300), (batch, workgroups, concurrency, itemOverhead) => {
        for (const p of [plan(batch, { workgroups, concurrency }, { itemOverhead }), naivePlan(batch, { workgroups, concurrency }, { itemOverhead })]) {
          expect(p.concurrency).toBe(concurrency ?? workgroups);
          expect(p.predicted).toBe(predictedTime(p.maxLoad, p.totalCost, p.concurrency));
          expect(p.predicted).toBeGreaterThanOrEqual(p.maxLoad);
          if (concurrency === undefined) expect(p.predicted).toBe(p.maxLoad);
          expectCoversExactlyOnce(p, batch);
        }
      }),
      { numRuns: 60, seed: 15 },
    );
  });

  it('never predicts a plan faster than the naive plan’s work spread evenly (the plan view’s ceiling)', () => {
    fc.assert(
      fc.property(batchArb, fc.boolean(), fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 300 }), fc.nat(300), fc.option(fc.integer({ min: 1, max: 3000 }), { nil: undefined }), (lengths, causal, workgroups, concurrency, itemOverhead, chunk) => {
        const batch = { ...lengths, causal };
        const device = { workgroups, concurrency };
        const naive = naivePlan(batch, device, { itemOverhead });
        const balanced = plan(batch, device, { itemOverhead, chunk });
        expect(balanced.totalCost).toBeGreaterThanOrEqual(naive.totalCost);
        if (naive.totalCost > 0) expect(naive.predicted / balanced.predicted).toBeLessThanOrEqual(planCeiling(naive) * (1 + 1e-12));
      }),
      { numRuns: 80, seed: 19 },
    );
  });

  it('keeps the chunk with the lowest predicted time of all it tries', () => {
    fc.assert(
      fc.property(batchArb, fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 300 }), fc.nat(300), (batch, workgroups, concurrency, itemOverhead) => {
        const device = { workgroups, concurrency };
        const chosen = plan(batch, device, { itemOverhead, minChunk: 16 });
        const longest = Math.max(1, ...batch.kvLens);
        for (let chunk = 16; chunk < 2 * longest; chunk *= 2) {
          expect(chosen.predicted).toBeLessThanOrEqual(plan(batch, device, { itemOverhead, chunk: Math.min(chunk, longest) }).predicted);
        }
      }),
      { numRuns: 40, seed: 16 },
    );
  });

  it('with the decode kernel’s fitted model picks the ShareGPT-like chunk that ran fastest on an H100 (the makespan alone picks one 1.3× slower)', () => {
    // 64 requests (prompt + output lengths, seed 7), items of 4 query heads: BENCHMARKS.md's sweep
    // ran 1024-key chunks in 0.113 ms, 512 in 0.119, 256 (the makespan model's choice) in 0.143.
    const kvLens = shareGptLike(64, 7, 8192).map((r) => r.promptLen + r.outputLen);
    const batch = { qoLens: kvLens.map(() => 1), kvLens, numQoHeads: 32 };
    expect(plan(batch, decodePlanDevice(), { itemHeads: 4, itemOverhead: DECODE_ITEM_OVERHEAD }).chunkSize).toBe(1024);
    expect(plan(batch, { workgroups: 1024 }, { itemHeads: 4 }).chunkSize).toBe(256);
    // A uniform batch stays unsplit (as naive), the skewed one is still cut.
    const uniform = { qoLens: new Array(64).fill(1), kvLens: new Array(64).fill(4096), numQoHeads: 32 };
    expect(plan(uniform, decodePlanDevice(), { itemHeads: 4, itemOverhead: DECODE_ITEM_OVERHEAD }).chunkSize).toBe(0);
    const cut = plan(skewed, decodePlanDevice(), { itemHeads: 4, itemOverhead: DECODE_ITEM_OVERHEAD });
    expect(cut.chunkSize).toBeGreaterThan(0);
    expect(cut.predicted).toBeLessThanOrEqual(naivePlan(skewed, decodePlanDevice(), { itemHeads: 4, itemOverhead: DECODE_ITEM_OVERHEAD }).predicted / 2);
  });
});

describe('checkPlan: a plan must cover its batch exactly once', () => {
  const batch = { qoLens: [1, 3, 0], kvLens: [700, 40, 9], numQoHeads: 4 };
  const good = plan(batch, { workgroups: 5 }, { chunk: 256, qoTile: 2, itemHeads: 2 });
  const without = (n: number): Plan => ({ ...good, items: good.items.filter((_, i) => i !== n) });
  const edited = (n: number, change: Partial<Plan['items'][number]>): Plan => ({ ...good, items: good.items.map((item, i) => (i === n ? { ...item, ...change } : item)) });

  it('accepts the planner’s plans', () => {
    expect(() => checkPlan(batch, good)).not.toThrow();
    expect(() => checkPlan(batch, naivePlan(batch, { workgroups: 2 }, { itemHeads: 4 }))).not.toThrow();
  });

  it('names the first fault: a missing chunk, a missing query tile, overlaps, foreign heads or workgroups', () => {
    expect(good.items.slice(0, 4).map((item) => [item.request, item.qoHead, item.kvStart])).toEqual([[0, 0, 0], [0, 2, 0], [0, 0, 256], [0, 2, 256]]);
    expect(() => checkPlan(batch, without(2))).toThrow(/^plan\.items: entry 3 \(request 0, heads 0\.\.2, queries 0\.\.1, keys 512\.\.700\) starts at key 512, but the keys before it end at 256/);
    expect(() => checkPlan(batch, without(4))).toThrow(/^plan\.items: no item covers keys 512\.\.700 of request 0, heads 0\.\.2, queries 0\.\.1/);
    const tile2 = good.items.findIndex((item) => item.request === 1 && item.qoStart === 2 && item.qoHead === 2);
    expect(() => checkPlan(batch, without(tile2))).toThrow(/^plan\.items: no item covers query 2 of request 1, heads 2\.\.4/);
    expect(() => checkPlan(batch, edited(2, { kvStart: 200 }))).toThrow(/starts at key 200, but the keys before it end at 256/);
    expect(() => checkPlan(batch, edited(0, { qoHead: 1, qoHeadEnd: 3 }))).toThrow(/^plan\.items: entry 0 .* is outside this batch/);
    expect(() => checkPlan(batch, edited(0, { workgroup: 5 }))).toThrow(/^plan\.items: entry 0 .* runs on workgroup 5 of 5/);
    expect(() => checkPlan(batch, { ...good, items: [...good.items, { ...good.items[0], id: good.items.length }] })).toThrow(/^plan\.items: entry \d+ .* starts at key 0, but the keys before it end at 256/);
    expect(() => checkPlan({ ...batch, qoLens: [1, 3, 1] }, good)).toThrow(/^plan\.items: no item covers query 0 of request 2, heads 0\.\.2/);
  });
});

describe('runPlanOnCpu: split-and-merge equals unsplit (the reference) within 1e-6', () => {
  it('for random batches, chunks, causal masks, GQA and a sliding-window variant', () => {
    const window = compileVariant(builtinVariant('sliding-window').source);
    if (!window.ok) throw new Error('sliding-window failed to compile');
    fc.assert(
      fc.property(
        fc.record({
          requests: fc.array(fc.record({ qoLen: fc.integer({ min: 0, max: 9 }), extra: fc.integer({ min: 0, max: 40 }) }), { minLength: 1, maxLength: 4 }),
          group: fc.constantFrom(1, 2),
          chunk: fc.integer({ min: 1, max: 20 }),
          qoTile: fc.integer({ min: 1, max: 8 }),
          workgroups: fc.integer({ min: 1, max: 16 }),
          itemHeads: fc.constantFrom(1, 2),
          mask: fc.constantFrom('none', 'causal', 'window'),
          seed: fc.integer({ min: 1, max: 1e6 }),
        }),
        ({ requests, group, chunk, qoTile, workgroups, itemHeads, mask, seed }) => {
          const qoLens = requests.map((r) => r.qoLen);
          const kvLens = requests.map((r) => r.qoLen + r.extra);
          let args = randomBatch({ qoLens, kvLens, numQoHeads: 2 * group, numKvHeads: 2, headDim: 64, causal: mask === 'causal', seed });
          if (mask === 'window') args = { ...args, variant: window.variant, vars: { window: 5 } };
          const p = plan({ qoLens, kvLens, numQoHeads: 2 * group }, { workgroups }, { chunk, qoTile, itemHeads });
          const got = runPlanOnCpu(args, p);
          const expected = referenceAttention(args);
          for (const key of ['o', 'lse'] as const) {
            const c = compareArrays(got[key], expected[key]);
            expect(c.mismatchedSpecials).toEqual([]);
            expect(c.maxAbsError).toBeLessThanOrEqual(1e-6);
          }
        },
      ),
      { numRuns: 40, seed: 15 },
    );
  });

  it('rejects a plan that leaves a row out or does not belong to the batch', () => {
    const args = randomBatch({ qoLens: [2], kvLens: [8], numQoHeads: 1, numKvHeads: 1, headDim: 64, seed: 1 });
    const p = plan({ qoLens: [2], kvLens: [8], numQoHeads: 1 }, { workgroups: 2 }, { chunk: 4, qoTile: 1 });
    expect(() => runPlanOnCpu(args, { ...p, items: p.items.filter((item) => item.qoStart === 0) })).toThrow(/^plan\.items: no item covers query 1 of request 0, head 0/);
    const other = plan({ qoLens: [2], kvLens: [9], numQoHeads: 1 }, { workgroups: 2 }, { chunk: 9 });
    expect(() => runPlanOnCpu(args, other)).toThrow(/^plan\.items: entry 0 \(request 0, heads 0\.\.1, queries 0\.\.2, keys 0\.\.9\) is outside this batch/);
  });
});

/** Plans as JSON: one item or merge per line, so a diff shows which item moved. */
function planJson(p: Plan): string {
  const { items, merges, loads, ...rest } = p;
  const lines = (xs: unknown[]) => xs.map((x) => `    ${JSON.stringify(x)}`).join(',\n');
  return `{\n${Object.entries(rest).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(',\n')},\n  "loads": ${JSON.stringify(loads)},\n  "items": [\n${lines(items)}\n  ],\n  "merges": [\n${lines(merges)}\n  ]\n}\n`;
}

const GOLDEN_PLANS: Record<string, () => Plan> = {
  // One long decode request among short ones: the long one is cut, the rest fill in around it.
  'skewed-decode': () => plan({ qoLens: [1, 1, 1, 1, 1, 1, 1, 1], kvLens: [4096, 256, 256, 256, 256, 256, 256, 256], numQoHeads: 2 }, { workgroups: 8 }),
  'skewed-decode-naive': () => naivePlan({ qoLens: [1, 1, 1, 1, 1, 1, 1, 1], kvLens: [4096, 256, 256, 256, 256, 256, 256, 256], numQoHeads: 2 }, { workgroups: 8 }),
  // The decode kernel's granularity: 8 query heads over 2 KV heads, items of one KV head's 4 query heads.
  'gqa-decode-head-groups': () => plan({ qoLens: [1, 1, 0, 1], kvLens: [1000, 300, 50, 0], numQoHeads: 8 }, { workgroups: 5 }, { itemHeads: 4 }),
  // Prefill (100 queries, 100 keys), append (16 onto 600), two decodes, one with no keys yet.
  'mixed-prefill-append-decode': () => plan({ qoLens: [100, 16, 1, 1], kvLens: [100, 616, 1000, 0], numQoHeads: 2 }, { workgroups: 6 }, { chunk: 256 }),
  // More slots than items streamed at once, with an overhead per item: the throughput bound decides the chunk.
  'decode-throughput-bound': () => plan({ qoLens: [1, 1, 1, 1, 1, 1], kvLens: [2736, 900, 300, 120, 2061, 40], numQoHeads: 8 }, { workgroups: 16, concurrency: 6 }, { itemHeads: 4, itemOverhead: 128, minChunk: 128 }),
};

describe('golden plans (tests/golden/plans/NAME.json; a mismatch writes NAME-changed.json to review)', () => {
  it.each(Object.keys(GOLDEN_PLANS))('%s', (name) => {
    const actual = planJson(GOLDEN_PLANS[name]());
    const file = `${GOLDEN}/${name}.json`;
    const expected = existsSync(file) ? readFileSync(file, 'utf8') : '';
    if (actual !== expected) writeFileSync(`${GOLDEN}/${name}-changed.json`, actual);
    expect(actual, `${name} plans differently from ${file} (see ${name}-changed.json)`).toBe(expected);
  });
});
