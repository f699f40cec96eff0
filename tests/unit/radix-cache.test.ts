import { describe, expect, it } from 'vitest';
import { orderByCachedPrefix, RadixCache } from '#kernels/index.ts';

/** The tree as nested [edge tokens, children] for exact comparisons. */
function shape(cache: RadixCache): unknown {
  const walk = (node: RadixCache['root']): unknown[] =>
    [...node.children.values()].sort((a, b) => a.tokens[0] - b.tokens[0]).map((c) => [c.tokens.join(','), walk(c)]);
  return walk(cache.root);
}

describe('RadixCache (RadixAttention)', () => {
  it('matches the longest cached prefix, inside an edge too', () => {
    const cache = new RadixCache(100);
    expect(cache.insert([1, 2, 3, 4])).toBe(0);
    expect(cache.match([1, 2, 3, 4, 5]).length).toBe(4);
    expect(cache.match([1, 2, 9]).length).toBe(2);
    expect(cache.match([7]).length).toBe(0);
    expect(cache.stats().hitRate).toBeCloseTo(6 / 9, 12);
  });

  it('splits an edge where a new sequence diverges', () => {
    const cache = new RadixCache(100);
    cache.insert([1, 2, 3, 4]);
    expect(cache.insert([1, 2, 7, 8])).toBe(2);
    expect(shape(cache)).toEqual([['1,2', [['3,4', []], ['7,8', []]]]]);
    expect(cache.insert([1, 2])).toBe(2);
    expect(cache.insert([5])).toBe(0);
    expect(shape(cache)).toEqual([['1,2', [['3,4', []], ['7,8', []]]], ['5', []]]);
    expect(cache.stats()).toMatchObject({ tokens: 7, nodes: 4 });
  });

  it('evicts unreferenced leaves least recently used first, within its capacity', () => {
    const cache = new RadixCache(8);
    cache.insert([1, 2, 3, 4]); // t1
    cache.insert([1, 2, 5, 6]); // t2: splits into [1,2] → [3,4], [5,6]
    cache.match([1, 2, 5]); //      t3: [5,6] is now newer than [3,4]
    cache.insert([9, 9, 9]); //     needs 3 more than the 6 stored; 8 - 6 = 2 free: evicts [3,4]
    expect(shape(cache)).toEqual([['1,2', [['5,6', []]]], ['9,9,9', []]]);
    expect(cache.stats()).toMatchObject({ tokens: 7, evictions: 1, evictedTokens: 2 });
  });

  it('never evicts a path a running request holds, and keeps only what fits', () => {
    const cache = new RadixCache(6);
    cache.insert([1, 2, 3]);
    const running = cache.match([1, 2, 3]).node;
    cache.lockPath(running);
    cache.insert([4, 5, 6, 7, 8]); // 3 locked + room for 3 of the 5
    expect(shape(cache)).toEqual([['1,2,3', []], ['4,5,6', []]]);
    cache.unlockPath(running);
    expect(cache.evict(3).map((n) => n.tokens.join(','))).toEqual(['1,2,3']);
    expect(() => cache.unlockPath(running)).toThrow(/is not locked/);
  });

  it('orders waiting requests by the longest cached prefix, ties in arrival order', () => {
    const cache = new RadixCache(100);
    cache.insert([1, 2, 3, 4, 5]);
    const waiting = [
      { id: 'a', tokens: [9, 9] },
      { id: 'b', tokens: [1, 2, 8] },
      { id: 'c', tokens: [1, 2, 3, 4, 0] },
      { id: 'd', tokens: [7] },
    ];
    expect(orderByCachedPrefix(cache, waiting).map((r) => r.id)).toEqual(['c', 'b', 'a', 'd']);
    expect(cache.stats().hitRate).toBe(0); // ordering does not count as lookups
  });
});
