import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  blockKind,
  bsrAttention,
  bsrFromBlocks,
  bsrFromMask,
  bsrLayoutFromArgs,
  bsrStats,
  builtinVariant,
  checkBsr,
  compareArrays,
  compileVariant,
  pageBatch,
  randomBatch,
  referenceAttention,
  type AttentionArgs,
  type BsrBlock,
  type CompiledVariant,
} from '#kernels/index.ts';

// Both sides accumulate in float64 and round once to float32: they may differ by an ulp or two.
const TOLERANCE = 1e-6;

function expectSameAttention(got: { o: Float32Array; lse: Float32Array }, expected: { o: Float32Array; lse: Float32Array }): void {
  for (const key of ['o', 'lse'] as const) {
    const c = compareArrays(got[key], expected[key]);
    expect(c.mismatchedSpecials, `${key}: -Infinity/NaN in different places`).toEqual([]);
    expect(c.maxAbsError, `${key} at ${c.worstIndex}`).toBeLessThanOrEqual(TOLERANCE);
  }
}

function compiled(source: string): CompiledVariant {
  const result = compileVariant(source);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.variant;
}

// A mask given element by element: keep[keepStart[b] + qo·kvLen + kv] (1 keeps the score).
const ELEMENT_MASK = compiled(`
export const tensors = { keep: 'i32', keepStart: 'i32' };
export function logitsMask(idx: Idx): boolean {
  return tensors.keep[tensors.keepStart[idx.batch] + idx.qo * idx.kvLen + idx.kv] === 1;
}
`);

const valid = { rows: 4, cols: 6, R: 2, C: 2, indptr: [0, 2, 3], indices: [0, 2, 1] };

describe('checkBsr: FlashInfer indptr/indices, errors name the array and the position', () => {
  it('accepts a valid matrix and returns typed arrays, every block full by default', () => {
    const m = checkBsr(valid);
    expect(Array.from(m.indptr)).toEqual([0, 2, 3]);
    expect(Array.from(m.indices)).toEqual([0, 2, 1]);
    expect(Array.from(m.partial)).toEqual([0, 0, 0]);
  });

  it.each([
    [{ indices: [0, 3, 1] }, /^indices: entry 1 \(block row 0\) is 3, but block columns are 0 to 2/],
    [{ indices: [2, 0, 1] }, /^indices: entry 1 \(block row 0\) is 0 after 2; block columns in a row must strictly increase/],
    [{ indices: [1, 1, 1] }, /^indices: entry 1 \(block row 0\) is 1 after 1/],
    [{ indices: [0, 2] }, /^indices: needs indptr\[2\] = 3 block columns, got 2/],
    [{ indptr: [0, 3] }, /^indptr: needs rows \/ R \+ 1 = 3 entries, got 2/],
    [{ indptr: [1, 2, 3] }, /^indptr: must start at 0, starts at 1/],
    [{ indptr: [0, 2, 1], indices: [0, 1] }, /^indptr: must not decrease: entry 2 is 1 after 2/],
    [{ indptr: [0, 2.5, 3] }, /^indptr: entry 1 is 2.5, not a whole number/],
    [{ R: 3 }, /^R: 3 does not divide the 4 query rows/],
    [{ C: 4 }, /^C: 4 does not divide the 6 keys/],
    [{ C: 0 }, /^C: must be a whole number ≥ 1, got 0/],
    [{ partial: [0, 1] }, /^partial: needs one flag per nonzero block \(3\), got 2/],
    [{ partial: [0, 2, 0] }, /^partial: entry 1 is 2/],
  ])('rejects %o', (change, message) => {
    expect(() => checkBsr({ ...valid, ...change })).toThrow(message);
  });

  it('with paged KV, C must be whole pages', () => {
    expect(() => checkBsr({ ...valid, cols: 12, C: 6, indptr: [0, 0, 0], indices: [] }, { pageSize: 4 })).toThrow(/^C: 6 is not a multiple of the page size 4/);
    expect(checkBsr({ ...valid, cols: 16, C: 8, indptr: [0, 0, 0], indices: [] }, { pageSize: 4 }).C).toBe(8);
  });

  it('prefixes the argument with the matrix it belongs to', () => {
    expect(() => checkBsr({ ...valid, indices: [0, 5, 1] }, { name: 'bsr.matrices[3].' })).toThrow(/^bsr\.matrices\[3\]\.indices: entry 1/);
  });
});

describe('bsrFromBlocks', () => {
  it('sorts blocks into rows and ascending columns', () => {
    const m = bsrFromBlocks({ rows: 6, cols: 8, R: 2, C: 4, blocks: [{ row: 2, col: 1 }, { row: 0, col: 1, partial: true }, { row: 2, col: 0 }, { row: 0, col: 0 }] });
    expect(Array.from(m.indptr)).toEqual([0, 2, 2, 4]);
    expect(Array.from(m.indices)).toEqual([0, 1, 0, 1]);
    expect(Array.from(m.partial)).toEqual([0, 1, 0, 0]);
    expect(blockKind(m, 0, 1)).toBe('partial');
    expect(blockKind(m, 2, 0)).toBe('full');
    expect(blockKind(m, 1, 0)).toBe('empty');
  });

  it('rejects a block outside the grid and a block listed twice, naming the entries', () => {
    expect(() => bsrFromBlocks({ rows: 4, cols: 4, R: 2, C: 2, blocks: [{ row: 0, col: 0 }, { row: 2, col: 0 }] })).toThrow(/^blocks: entry 1 is \(2, 0\), outside the 2 × 2 block grid/);
    expect(() => bsrFromBlocks({ rows: 4, cols: 4, R: 2, C: 2, blocks: [{ row: 1, col: 1 }, { row: 0, col: 0 }, { row: 1, col: 1 }] })).toThrow(/^blocks: entries 0 and 2 are both block \(1, 1\)/);
  });
});

describe('bsrFromMask classifies each block as empty, full or partial', () => {
  it('a causal 4 × 4 mask in 2 × 2 blocks: a full block below the diagonal, partial ones on it, an empty one above', () => {
    const m = bsrFromMask((qo, kv) => kv <= qo, { rows: 4, cols: 4, R: 2, C: 2 });
    expect(Array.from(m.indptr)).toEqual([0, 1, 3]);
    expect(Array.from(m.indices)).toEqual([0, 0, 1]);
    expect(Array.from(m.partial)).toEqual([1, 0, 1]);
    expect(bsrStats(m)).toEqual({
      blockRows: 2,
      blockCols: 2,
      blocks: { empty: 1, full: 1, partial: 2 },
      density: 0.75,
      work: { scores: 12, maskedScores: 8, denseScores: 16 },
    });
  });

  it('a 90%-sparse pattern in 64 × 64 blocks over 1024 × 1024 keeps one block in ten', () => {
    const keepBlock = (r: number, c: number) => (r * 16 + c) % 10 === 0;
    const m = bsrFromMask((qo, kv) => keepBlock(qo >> 6, kv >> 6), { rows: 1024, cols: 1024, R: 64, C: 64 });
    const stats = bsrStats(m);
    expect(stats.blocks).toEqual({ empty: 230, full: 26, partial: 0 });
    expect(stats.work.scores).toBe(26 * 64 * 64);
  });

  it('every element of a full block is visible, every partial block mixes, no visible element is left out', () => {
    fc.assert(
      fc.property(
        fc.record({
          blockRows: fc.integer({ min: 1, max: 5 }),
          blockCols: fc.integer({ min: 1, max: 5 }),
          R: fc.constantFrom(1, 2, 3),
          C: fc.constantFrom(1, 2, 4),
          seed: fc.integer({ min: 1, max: 1e6 }),
          density: fc.double({ min: 0, max: 1, noNaN: true }),
        }),
        ({ blockRows, blockCols, R, C, seed, density }) => {
          const rows = blockRows * R;
          const cols = blockCols * C;
          const bits = Array.from({ length: rows * cols }, (_, n) => ((Math.imul(n + 1, seed) >>> 7) % 1000) / 1000 < density);
          const m = bsrFromMask((qo, kv) => bits[qo * cols + kv], { rows, cols, R, C });
          for (let r = 0; r < blockRows; r++) {
            for (let c = 0; c < blockCols; c++) {
              const inside = [];
              for (let i = r * R; i < (r + 1) * R; i++) for (let j = c * C; j < (c + 1) * C; j++) inside.push(bits[i * cols + j]);
              const expected = inside.every(Boolean) ? 'full' : inside.some(Boolean) ? 'partial' : 'empty';
              expect(blockKind(m, r, c)).toBe(expected);
            }
          }
        },
      ),
      { numRuns: 60, seed: 5 },
    );
  });
});

describe('bsrAttention equals the dense masked reference', () => {
  const lengthsArb = fc.array(fc.record({ qoBlocks: fc.integer({ min: 1, max: 4 }), extraBlocks: fc.integer({ min: 0, max: 4 }) }), { minLength: 1, maxLength: 3 });

  it('for a layout derived from the causal flag or a variant mask, any R × C, ragged or paged (within 1e-6)', () => {
    const slidingWindow = compiled(builtinVariant('sliding-window').source);
    fc.assert(
      fc.property(
        fc.record({
          lengths: lengthsArb,
          R: fc.constantFrom(1, 2, 4),
          C: fc.constantFrom(2, 4, 8),
          numKvHeads: fc.integer({ min: 1, max: 2 }),
          group: fc.constantFrom(1, 2),
          mask: fc.constantFrom('none', 'causal', 'window'),
          paged: fc.boolean(),
          seed: fc.integer({ min: 1, max: 1e6 }),
        }),
        ({ lengths, R, C, numKvHeads, group, mask, paged, seed }) => {
          // Query lengths a multiple of R, key lengths a multiple of C and at least the queries.
          const qoLens = lengths.map((l) => l.qoBlocks * R);
          const kvLens = lengths.map((l, b) => Math.ceil(qoLens[b] / C) * C + l.extraBlocks * C);
          const ragged = randomBatch({ qoLens, kvLens, numQoHeads: numKvHeads * group, numKvHeads, headDim: 64, causal: mask === 'causal', seed });
          let args: AttentionArgs = paged ? pageBatch(ragged, C / 2, seed) : ragged;
          if (mask === 'window') args = { ...args, variant: slidingWindow, vars: { window: 3 } };
          const layout = bsrLayoutFromArgs(args, R, C);
          expectSameAttention(bsrAttention(args, layout), referenceAttention(args));
        },
      ),
      { numRuns: 40, seed: 17 },
    );
  });

  it('for a matrix built from a list of full blocks, against the reference masking exactly those blocks per element', () => {
    fc.assert(
      fc.property(
        fc.record({
          blockRows: fc.integer({ min: 1, max: 4 }),
          blockCols: fc.integer({ min: 1, max: 4 }),
          R: fc.constantFrom(1, 2, 3),
          C: fc.constantFrom(1, 2, 5),
          pick: fc.array(fc.boolean(), { minLength: 16, maxLength: 16 }),
          seed: fc.integer({ min: 1, max: 1e6 }),
        }),
        ({ blockRows, blockCols, R, C, pick, seed }) => {
          const rows = blockRows * R;
          const cols = blockCols * C;
          const blocks: BsrBlock[] = [];
          for (let r = 0; r < blockRows; r++) for (let c = 0; c < blockCols; c++) if (pick[r * 4 + c]) blocks.push({ row: r, col: c });
          const keep = new Int32Array(rows * cols);
          for (const { row, col } of blocks) for (let i = row * R; i < (row + 1) * R; i++) for (let j = col * C; j < (col + 1) * C; j++) keep[i * cols + j] = 1;
          const args = randomBatch({ qoLens: [rows], kvLens: [cols], numQoHeads: 2, numKvHeads: 1, headDim: 64, seed });
          const matrix = bsrFromBlocks({ rows, cols, R, C, blocks });
          const masked = { ...args, variant: ELEMENT_MASK, tensors: { keep, keepStart: Int32Array.of(0) } };
          expectSameAttention(bsrAttention(args, { R, C, heads: 'shared', matrices: [matrix] }), referenceAttention(masked));
        },
      ),
      { numRuns: 40, seed: 23 },
    );
  });

  it('skips the element mask inside full blocks: a block declared full is attended whole', () => {
    const args = randomBatch({ qoLens: [2], kvLens: [4], numQoHeads: 1, numKvHeads: 1, headDim: 64, causal: true, seed: 3 });
    const everything = bsrFromBlocks({ rows: 2, cols: 4, R: 2, C: 4, blocks: [{ row: 0, col: 0 }] });
    const bsr = bsrAttention(args, { R: 2, C: 4, heads: 'shared', matrices: [everything] });
    expectSameAttention(bsr, referenceAttention({ ...args, causal: false }));
    const partial = bsrFromBlocks({ rows: 2, cols: 4, R: 2, C: 4, blocks: [{ row: 0, col: 0, partial: true }] });
    expectSameAttention(bsrAttention(args, { R: 2, C: 4, heads: 'shared', matrices: [partial] }), referenceAttention(args));
  });

  it('a block row with no blocks gives o = 0 and lse = -Infinity, no NaN', () => {
    const args = randomBatch({ qoLens: [4], kvLens: [4], numQoHeads: 1, numKvHeads: 1, headDim: 64, seed: 9 });
    const matrix = bsrFromBlocks({ rows: 4, cols: 4, R: 2, C: 2, blocks: [{ row: 1, col: 0 }] });
    const { o, lse } = bsrAttention(args, { R: 2, C: 2, heads: 'shared', matrices: [matrix] });
    expect(Array.from(lse.slice(0, 2))).toEqual([-Infinity, -Infinity]);
    expect(o.slice(0, 128).every((x) => x === 0)).toBe(true);
    expect(o.every((x) => !Number.isNaN(x))).toBe(true);
    expect(Number.isFinite(lse[2])).toBe(true);
  });

  it('rejects a layout that does not fit the batch, naming the matrix', () => {
    const args = randomBatch({ qoLens: [2, 4], kvLens: [4, 4], numQoHeads: 1, numKvHeads: 1, headDim: 64, seed: 2 });
    const layout = bsrLayoutFromArgs(args, 2, 2, 'shared');
    expect(() => bsrAttention(args, { ...layout, matrices: layout.matrices.slice(1) })).toThrow(/^bsr\.matrices: needs 2 matrices \(one per request\), got 1/);
    expect(() => bsrAttention(args, { ...layout, matrices: [layout.matrices[1], layout.matrices[0]] })).toThrow(/^bsr\.matrices\[0\]\.rows: the matrix is 4 × 4 but request 0 is 2 queries × 4 keys/);
    expect(() => bsrLayoutFromArgs(args, 3, 2)).toThrow(/^bsr\.matrices\[0\]\.R: 3 does not divide the 2 query rows/);
    expect(() => bsrLayoutFromArgs(pageBatch(args, 4), 2, 2)).toThrow(/^bsr\.matrices\[0\]\.C: 2 is not a multiple of the page size 4/);
  });

  it('the dense reference refuses bsr and formats instead of ignoring the blocks they list', () => {
    const args = randomBatch({ qoLens: [4], kvLens: [4], numQoHeads: 1, numKvHeads: 1, headDim: 64, seed: 3 });
    const layout = { R: 2, C: 2, heads: 'shared' as const, matrices: [bsrFromBlocks({ rows: 4, cols: 4, R: 2, C: 2, blocks: [{ row: 1, col: 0 }] })] };
    expect(() => referenceAttention({ ...args, bsr: layout })).toThrow(/^bsr: is set, but referenceAttention computes dense attention.*bsrAttention\(args, args\.bsr\)/);
    expect(() => referenceAttention({ ...args, formats: [layout] })).toThrow(/^formats: is set, .*composableAttention\(args, args\.formats\)/);
  });
});
