import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AttentionInputError,
  blockKind,
  bsrFromBlocks,
  bsrTileLists,
  checkAttentionArgs,
  randomBatch,
  seededRandom,
  TILE_FULL,
  TILE_MASKED,
  TILE_MIXED,
  type BlockKind,
  type BsrLayout,
  type TileLists,
} from '#kernels/index.ts';

/** What the kernel makes of score (i, j) of request b, head h, reading the lists as the kernel does. */
function kernelKind(lists: TileLists, items: Map<string, number>, b: number, h: number, i: number, j: number, layout = 0): BlockKind {
  const q0 = i - (i % lists.tileQ);
  const item = items.get(`${b}:${q0}:${layout}`);
  if (item === undefined) throw new Error(`no item for request ${b}, rows from ${q0}`);
  const slot = 2 * (item * lists.listHeads + (lists.listHeads > 1 ? h : 0));
  const [first, count] = [lists.lists[slot], lists.lists[slot + 1]];
  const k0 = j - (j % lists.tileK);
  for (let e = 0; e < count; e++) {
    if (lists.entries[first + 2 * e] !== k0) continue;
    const kind = lists.entries[first + 2 * e + 1];
    if ((kind & 3) === TILE_FULL) return 'full';
    if ((kind & 3) === TILE_MASKED) return 'partial';
    expect(kind & 3).toBe(TILE_MIXED);
    const words = (lists.tileQ * lists.tileK) / 32;
    const at = (kind >>> 2) * 2 * words;
    const bit = (i - q0) * lists.tileK + (j - k0);
    const stored = (lists.bitmaps[at + (bit >>> 5)] >>> (bit & 31)) & 1;
    const tested = (lists.bitmaps[at + words + (bit >>> 5)] >>> (bit & 31)) & 1;
    return stored ? (tested ? 'partial' : 'full') : 'empty';
  }
  return 'empty';
}

function itemIndex(lists: TileLists): Map<string, number> {
  const map = new Map<string, number>();
  for (let n = 0; n < lists.items.length / 4; n++) {
    const [b, q0, base] = lists.items.subarray(4 * n, 4 * n + 4);
    map.set(`${b}:${q0}:${base}`, n);
  }
  return map;
}

const layoutArbitrary = fc
  .record({
    R: fc.constantFrom(1, 2, 3, 8, 16),
    C: fc.constantFrom(1, 4, 5, 8, 32),
    requests: fc.array(fc.record({ qoBlocks: fc.integer({ min: 1, max: 6 }), kvBlocks: fc.integer({ min: 1, max: 6 }) }), { minLength: 1, maxLength: 3 }),
    perHead: fc.boolean(),
    density: fc.double({ min: 0, max: 1, noNaN: true }),
    tile: fc.constantFrom(4, 8, 16),
    seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  })
  .map(({ R, C, requests, perHead, density, tile, seed }) => {
    const numQoHeads = 2;
    const args = randomBatch({ qoLens: requests.map((r) => r.qoBlocks * R), kvLens: requests.map((r) => r.kvBlocks * C), numQoHeads, numKvHeads: 1, headDim: 64, seed });
    const random = seededRandom(seed);
    const matrices = requests.flatMap((r) =>
      Array.from({ length: perHead ? numQoHeads : 1 }, () => {
        const blocks = [];
        for (let row = 0; row < r.qoBlocks; row++) for (let col = 0; col < r.kvBlocks; col++) if (random() < density) blocks.push({ row, col, partial: random() < 0.5 });
        return bsrFromBlocks({ rows: r.qoBlocks * R, cols: r.kvBlocks * C, R, C, blocks });
      }),
    );
    const layout: BsrLayout = { R, C, heads: perHead ? 'perHead' : 'shared', matrices };
    return { args, layout, tile };
  });

describe('bsrTileLists', () => {
  it('classifies every score as its block does (empty, full, partial) for any block size against any kernel tile', () => {
    fc.assert(
      fc.property(layoutArbitrary, ({ args, layout, tile }) => {
        const shape = checkAttentionArgs(args);
        const lists = bsrTileLists(shape, [layout], { tileQ: tile, tileK: 2 * tile });
        const items = itemIndex(lists);
        let listed = 0;
        for (let b = 0; b < shape.batchSize; b++) {
          const qoLen = shape.qoIndptr[b + 1] - shape.qoIndptr[b];
          for (let h = 0; h < shape.numQoHeads; h++) {
            const matrix = layout.matrices[layout.heads === 'perHead' ? b * shape.numQoHeads + h : b];
            for (let i = 0; i < qoLen; i++) {
              for (let j = 0; j < shape.kvLens[b]; j++) {
                expect(kernelKind(lists, items, b, h, i, j), `request ${b} head ${h} score (${i}, ${j})`).toBe(blockKind(matrix, Math.floor(i / layout.R), Math.floor(j / layout.C)));
              }
            }
          }
        }
        for (let n = 0; n < lists.lists.length; n += 2) listed += lists.lists[n + 1];
        expect(listed).toBeGreaterThanOrEqual(lists.counts.full + lists.counts.masked + lists.counts.mixed);
        expect(lists.items.length / 4).toBe(shape.batchSize && Array.from({ length: shape.batchSize }, (_, b) => Math.ceil((shape.qoIndptr[b + 1] - shape.qoIndptr[b]) / tile)).reduce((a, c) => a + c, 0));
      }),
      { numRuns: 60, seed: 5 },
    );
  });

  it('lists only tiles a stored block touches, FULL and MASKED where blocks cover whole tiles', () => {
    const args = randomBatch({ qoLens: [256], kvLens: [512], numQoHeads: 1, numKvHeads: 1, headDim: 64, seed: 3 });
    const shape = checkAttentionArgs(args);
    const blocks = [
      { row: 0, col: 0 },
      { row: 0, col: 5, partial: true },
      { row: 3, col: 7 },
    ];
    const lists = bsrTileLists(shape, [{ R: 64, C: 64, heads: 'shared', matrices: [bsrFromBlocks({ rows: 256, cols: 512, R: 64, C: 64, blocks })] }]);
    expect(Array.from(lists.entries)).toEqual([0, TILE_FULL, 320, TILE_MASKED, 448, TILE_FULL]);
    expect(Array.from(lists.lists)).toEqual([0, 2, 4, 0, 4, 0, 4, 1]);
    expect(lists.counts).toEqual({ full: 2, masked: 1, mixed: 0, skipped: 29 });
    expect(lists.bitmaps.length).toBe(0);
  });

  it('gives composed layouts one item per layout, writing partial states at layout + layouts × row', () => {
    const args = randomBatch({ qoLens: [64], kvLens: [128], numQoHeads: 1, numKvHeads: 1, headDim: 64, seed: 3 });
    const shape = checkAttentionArgs(args);
    const left = bsrFromBlocks({ rows: 64, cols: 128, R: 64, C: 64, blocks: [{ row: 0, col: 0 }] });
    const right = bsrFromBlocks({ rows: 64, cols: 128, R: 16, C: 16, blocks: [{ row: 0, col: 4 }, { row: 3, col: 7, partial: true }] });
    const lists = bsrTileLists(shape, [
      { R: 64, C: 64, heads: 'shared', matrices: [left] },
      { R: 16, C: 16, heads: 'shared', matrices: [right] },
    ]);
    expect(Array.from(lists.items)).toEqual([0, 0, 0, 2, 0, 0, 1, 2]);
    expect(lists.partialsPerRow).toBe(2);
    expect(lists.counts.mixed).toBe(1);
  });

  it('rejects a layout that does not fit the batch, naming the matrix', () => {
    const shape = checkAttentionArgs(randomBatch({ qoLens: [64], kvLens: [128], numQoHeads: 1, numKvHeads: 1, headDim: 64 }));
    const wrong = bsrFromBlocks({ rows: 64, cols: 64, R: 64, C: 64, blocks: [] });
    expect(() => bsrTileLists(shape, [{ R: 64, C: 64, heads: 'shared', matrices: [wrong] }])).toThrow(AttentionInputError);
    expect(() => bsrTileLists(shape, [{ R: 64, C: 64, heads: 'shared', matrices: [wrong] }])).toThrow(/bsr\.matrices\[0\]\.rows/);
  });
});
