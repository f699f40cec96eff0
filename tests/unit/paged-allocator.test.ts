import { describe, expect, it } from 'vitest';
import { checkAttentionArgs, PagedAllocator } from '#kernels/index.ts';

const tokens = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

describe('PagedAllocator (PagedAttention block manager)', () => {
  it('gives each request ceil(length / pageSize) pages and reports the last page length', () => {
    const allocator = new PagedAllocator(16, 4);
    expect(allocator.allocate('a', tokens(10))).toEqual({ ok: true });
    expect(allocator.allocate('b', tokens(4, 100))).toEqual({ ok: true });
    expect(allocator.allocate('c', [])).toEqual({ ok: true });
    expect(allocator.pageTable('a')).toEqual({ pages: [0, 1, 2], lastPageLen: 2, length: 10 });
    expect(allocator.pageTable('b')).toEqual({ pages: [3], lastPageLen: 4, length: 4 });
    expect(allocator.pageTable('c')).toEqual({ pages: [], lastPageLen: 0, length: 0 });
    expect(allocator.stats()).toMatchObject({ pagesInUse: 4, freePages: 12, internalFragmentation: 2, tokens: 14, sharedPages: 0 });
  });

  it('appends into the last page, then opens new pages', () => {
    const allocator = new PagedAllocator(8, 4);
    allocator.allocate('a', tokens(3));
    allocator.append('a', [7]);
    expect(allocator.pageTable('a')).toEqual({ pages: [0], lastPageLen: 4, length: 4 });
    allocator.append('a', [8, 9, 10, 11, 12]);
    expect(allocator.pageTable('a')).toEqual({ pages: [0, 1, 2], lastPageLen: 1, length: 9 });
  });

  it('refuses a request that does not fit and changes nothing', () => {
    const allocator = new PagedAllocator(3, 4);
    allocator.allocate('a', tokens(8));
    const before = allocator.stats();
    expect(allocator.allocate('b', tokens(9, 50))).toEqual({ ok: false, needed: 3, free: 1 });
    expect(allocator.has('b')).toBe(false);
    expect(allocator.append('a', tokens(5, 9))).toEqual({ ok: false, needed: 2, free: 1 });
    expect(allocator.stats()).toEqual(before);
    expect(allocator.pageTable('a').length).toBe(8);
  });

  it('forks by sharing pages, and copies the shared last page on the first write (copy-on-write)', () => {
    const allocator = new PagedAllocator(8, 4);
    allocator.allocate('parent', tokens(6));
    allocator.fork('parent', 'child');
    expect(allocator.pageTable('child').pages).toEqual([0, 1]);
    expect([allocator.refCount(0), allocator.refCount(1)]).toEqual([2, 2]);
    allocator.append('child', [42]);
    expect(allocator.copies).toEqual([{ request: 'child', from: 1, to: 2, tokens: 2 }]);
    expect(allocator.pageTable('child')).toEqual({ pages: [0, 2], lastPageLen: 3, length: 7 });
    expect(allocator.pageTable('parent')).toEqual({ pages: [0, 1], lastPageLen: 2, length: 6 });
    expect([allocator.refCount(0), allocator.refCount(1), allocator.refCount(2)]).toEqual([2, 1, 1]);
    allocator.release('parent');
    expect([allocator.refCount(0), allocator.refCount(1)]).toEqual([1, 0]);
    expect(allocator.stats()).toMatchObject({ pagesInUse: 2, sharedPages: 0 });
  });

  it('shares full pages of an identical prompt prefix by hash, but not a prefix that differs earlier', () => {
    const allocator = new PagedAllocator(16, 4);
    const system = tokens(8, 500);
    allocator.allocate('a', [...system, 1, 2, 3]);
    allocator.allocate('b', [...system, 9, 9]);
    allocator.allocate('c', [0, ...system.slice(1), 1, 2, 3]);
    expect(allocator.pageTable('a').pages).toEqual([0, 1, 2]);
    expect(allocator.pageTable('b').pages).toEqual([0, 1, 3]);
    expect(allocator.pageTable('c').pages).toEqual([4, 5, 6]);
    expect(allocator.stats().sharedPages).toBe(2);
    allocator.release('a');
    allocator.release('b');
    expect(allocator.stats().pagesInUse).toBe(3);
    // Freed prefix pages are forgotten, so a new request does not pick up a recycled page's hash.
    allocator.allocate('d', [...system, 5]);
    expect(allocator.refCount(allocator.pageTable('d').pages[0])).toBe(1);
  });

  it('produces FlashInfer page-table arrays the kernels accept', () => {
    const allocator = new PagedAllocator(8, 4);
    allocator.allocate('a', tokens(6));
    allocator.allocate('b', tokens(4, 10));
    const layout = allocator.kvLayout(['b', 'a']);
    expect(Array.from(layout.kvIndptr)).toEqual([0, 1, 3]);
    expect(Array.from(layout.kvIndices)).toEqual([2, 0, 1]);
    expect(Array.from(layout.kvLastPageLen)).toEqual([4, 2]);
    const kPages = new Float32Array(8 * 4 * 64);
    const shape = checkAttentionArgs({
      q: new Float32Array(2 * 64), qoIndptr: [0, 1, 2], numQoHeads: 1, numKvHeads: 1, headDim: 64,
      kv: { kind: 'paged', kPages, vPages: kPages, pageSize: 4, ...layout },
    });
    expect(Array.from(shape.kvLens)).toEqual([4, 6]);
  });
});
