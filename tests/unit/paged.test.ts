import { describe, expect, it } from 'vitest';
import { expectInputError } from './expect-input-error.ts';
import { checkAttentionArgs, kvRow, pageBatch, randomBatch, referenceAttention, type AttentionArgs, type PagedKv } from '#kernels/index.ts';

const ragged = randomBatch({ qoLens: [3, 1, 4], kvLens: [7, 16, 0], numQoHeads: 4, numKvHeads: 2, headDim: 64, causal: true, seed: 3 });
const paged = pageBatch(ragged, 4, 9);


const withKv = (kv: Partial<PagedKv>): AttentionArgs => ({ ...paged, kv: { ...paged.kv, ...kv } });

describe('paged KV (FlashInfer layout)', () => {
  it('derives request lengths from pages and the last page length', () => {
    const shape = checkAttentionArgs(paged);
    // 7 keys in pages of 4: 2 pages, last holds 3; 16 keys: 4 full pages; 0 keys: no page.
    expect(Array.from(paged.kv.kvLastPageLen)).toEqual([3, 4, 0]);
    expect(Array.from(shape.kvLens)).toEqual([7, 16, 0]);
    expect(shape.paged).toMatchObject({ pageSize: 4, numPages: 8 });
  });

  it('finds key j of request b through the page table', () => {
    const shape = checkAttentionArgs(paged);
    const kv = paged.kv;
    for (const [b, j] of [[0, 0], [0, 6], [1, 5], [1, 15]]) {
      const page = kv.kvIndices[kv.kvIndptr[b] + Math.floor(j / 4)];
      expect(kvRow(shape, b, j)).toBe(page * 4 + (j % 4));
    }
  });

  it('gives exactly the ragged result on the reference', () => {
    const a = referenceAttention(ragged);
    const b = referenceAttention(paged);
    expect(b.o).toEqual(a.o);
    expect(b.lse).toEqual(a.lse);
  });

  it('rejects page numbers outside the cache, naming the entry', () => {
    const kvIndices = Uint32Array.from(paged.kv.kvIndices);
    kvIndices[2] = 8;
    expectInputError(withKv({ kvIndices }), 'kv.kvIndices', /entry 2 is 8, but pages are numbered 0 to 7/);
  });

  it('rejects a last-page length outside 1..pageSize', () => {
    expectInputError(withKv({ kvLastPageLen: [0, 4, 0] }), 'kv.kvLastPageLen', /entry 0 is 0; request 0 has 2 pages, so it must be from 1 to 4/);
    expectInputError(withKv({ kvLastPageLen: [5, 4, 0] }), 'kv.kvLastPageLen', /entry 0 is 5/);
    expectInputError(withKv({ kvLastPageLen: [3, 4, 1] }), 'kv.kvLastPageLen', /request 2 has 0 pages, so it must be 0/);
  });

  it('rejects a page table of the wrong length, pages of a bad size and a page size out of range', () => {
    expectInputError(withKv({ kvIndices: [0, 1] }), 'kv.kvIndices', /needs kvIndptr\[3\] = 6 page numbers, got 2/);
    expectInputError(withKv({ kPages: new Float32Array(100) }), 'kv.kPages', /whole pages/);
    expectInputError(withKv({ pageSize: 65 }), 'kv.pageSize', /from 1 to 64, got 65/);
  });
});
