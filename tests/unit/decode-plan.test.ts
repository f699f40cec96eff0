import { describe, expect, it } from 'vitest';
import { canDecode, checkAttentionArgs, decodeHeads, decodePlan, decodeWorkList, naivePlan, plainAttention, plan, randomBatch, DECODE_ITEM_OVERHEAD, DECODE_ITEM_WORDS, DIRECT } from '#kernels/index.ts';

const shapeOf = (kvLens: number[], qoLens = kvLens.map(() => 1), numQoHeads = 32, numKvHeads = 8) =>
  checkAttentionArgs(randomBatch({ qoLens, kvLens, numQoHeads, numKvHeads, headDim: 64 }));

/** The packed items as objects, workgroup by workgroup. */
function unpack(list: ReturnType<typeof decodeWorkList>) {
  const items = [];
  for (let w = 0; w < list.workgroups; w++) {
    for (let n = list.indptr[w]; n < list.indptr[w + 1]; n++) {
      const [request, qoRow, qoHead, kvStart, kvEnd, slot] = list.items.slice(n * DECODE_ITEM_WORDS, (n + 1) * DECODE_ITEM_WORDS);
      items.push({ workgroup: w, request, qoRow, qoHead, kvStart, kvEnd, slot });
    }
  }
  return items;
}

describe('decodePlan: the plan the decode kernel runs', () => {
  it('plans at the granularity of one KV head’s query heads, balanced or naive', () => {
    const shape = shapeOf([4096, 1, 0, 300, 2049]);
    const balanced = decodePlan(shape, 'balanced', { workgroups: 64 });
    expect(balanced.kind).toBe('balanced');
    expect(balanced.itemHeads).toBe(4);
    // The decode kernel's fitted model: every item also costs DECODE_ITEM_OVERHEAD.
    expect(balanced).toEqual(plan(shape, { workgroups: 64 }, { itemHeads: 4, itemOverhead: DECODE_ITEM_OVERHEAD }));
    expect(balanced.items.every((item) => item.cost === item.kvEnd - item.kvStart + 2 + DECODE_ITEM_OVERHEAD)).toBe(true);
    expect(decodePlan(shape, 'naive', { workgroups: 64 })).toEqual(naivePlan(shape, { workgroups: 64 }, { itemHeads: 4, itemOverhead: DECODE_ITEM_OVERHEAD }));
    // Naive: one item per request with a query and head group (8 of them), every request unsplit.
    expect(decodePlan(shape, 'naive', { workgroups: 64 }).items.length).toBe(5 * 8);
  });

  it('checks a given plan against the batch and the kernel', () => {
    const shape = shapeOf([500, 20]);
    const mine = plan(shape, { workgroups: 3 }, { chunk: 100, itemHeads: 2 });
    expect(decodePlan(shape, mine, { workgroups: 512 })).toBe(mine);
    expect(() => decodePlan(shape, plan(shape, { workgroups: 3 }, { itemHeads: 8 }), { workgroups: 3 })).toThrow(/^plan: covers 8 query heads per item; the decode kernel runs 1, 2 or 4 heads of one KV head's group \(4 here\)/);
    expect(() => decodePlan(shapeOf([500, 21]), mine, { workgroups: 3 })).toThrow(/^plan\.items: no item covers keys 20\.\.21 of request 1/);
    expect(() => decodePlan(shape, 'fast' as never, { workgroups: 3 })).toThrow(/^plan: must be 'balanced', 'naive' or a Plan from plan\(\), got fast/);
  });
});

describe('decodeWorkList: a plan packed for the persistent decode kernel', () => {
  it('lists each workgroup’s items in predicted order, with partial slots for split rows only', () => {
    // Request 1 has no query; request 2 no keys (one empty item per head group writes -inf).
    const shape = shapeOf([600, 5, 0, 40], [1, 0, 1, 1], 4, 2);
    const planned = plan(shape, { workgroups: 3 }, { chunk: 256, itemHeads: 2 });
    const list = decodeWorkList(shape, planned);
    expect(list.heads).toBe(2);
    expect(list.workgroups).toBe(3);
    const items = unpack(list);
    expect(items.length).toBe(planned.items.length);
    // Each packed item is the plan's item on the same workgroup, and a workgroup's items come in predicted start order.
    const starts = items.map((packed) => {
      const item = planned.items.find((p) => p.request === packed.request && p.qoHead === packed.qoHead && p.kvStart === packed.kvStart)!;
      expect(item.workgroup).toBe(packed.workgroup);
      return item.start;
    });
    items.forEach((item, n) => {
      if (n > 0 && items[n - 1].workgroup === item.workgroup) expect(starts[n]).toBeGreaterThan(starts[n - 1]);
    });
    // Request 0's 3 chunks × 2 head groups go to slots 0-5 (each merge's slots consecutive, in key order); the rest write directly.
    expect(Array.from(list.merges)).toEqual([0, 0, 0, 3, 0, 2, 3, 3]);
    expect(list.partialSlots).toBe(6);
    const split = items.filter((item) => item.request === 0).sort((a, b) => a.slot - b.slot);
    expect(split.map((item) => [item.qoHead, item.kvStart, item.kvEnd, item.slot])).toEqual([
      [0, 0, 256, 0], [0, 256, 512, 1], [0, 512, 600, 2], [2, 0, 256, 3], [2, 256, 512, 4], [2, 512, 600, 5],
    ]);
    expect(items.filter((item) => item.request !== 0).map((item) => [item.request, item.qoRow, item.qoHead, item.kvStart, item.kvEnd, item.slot]).sort()).toEqual([
      [2, 1, 0, 0, 0, DIRECT], [2, 1, 2, 0, 0, DIRECT], [3, 2, 0, 0, 40, DIRECT], [3, 2, 2, 0, 40, DIRECT],
    ]);
  });

  it('dispatches only the workgroups that have items', () => {
    const shape = shapeOf([100, 50], [1, 1], 4, 1);
    const list = decodeWorkList(shape, decodePlan(shape, 'balanced', { workgroups: 512 }));
    expect(list.workgroups).toBe(2);
    expect(Array.from(list.indptr)).toEqual([0, 1, 2]);
    expect(list.merges.length).toBe(0);
  });
});

describe('decode kernel choice', () => {
  it('groups query heads that share a KV head', () => {
    expect([1, 2, 3, 4, 6, 8].map(decodeHeads)).toEqual([1, 2, 1, 4, 2, 4]);
  });

  it('is chosen only for one query per request', () => {
    expect(canDecode(shapeOf([10, 20]), plainAttention())).toBe(true);
    expect(canDecode(shapeOf([10, 20], [1, 2]), plainAttention())).toBe(false);
  });
});
