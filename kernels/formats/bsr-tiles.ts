import { tileKeyEnd, type BatchShape } from './batch.ts';
import { checkBsrLayout, type BsrLayout, type BsrMatrix } from './bsr.ts';

/**
 * How the register-tiled prefill kernel walks block-sparse layouts (attention_prefill_tiled.wgsl
 * with LISTED). The kernel's tiles (TILE_Q query rows × TILE_K keys) need not match the layout's
 * blocks, so each kernel tile a stored block touches is classified from the blocks over it:
 *
 * - not listed: no stored block touches it, and the kernel never reads its keys;
 * - FULL: every score in it lies in a full block — kept without the causal test or `logitsMask`;
 * - MASKED: every score lies in a partial block — each runs the element test;
 * - MIXED: anything else (blocks smaller than the tile, or full and partial together): two
 *   bitmaps say which scores lie in a stored block and which of those need the element test.
 *
 * Scores outside the request (rows past qoLen, keys past kvLen) are ignored; the kernel drops
 * them anyway.
 */
export const TILE_FULL = 0;
export const TILE_MASKED = 1;
export const TILE_MIXED = 2;

export interface TileListOptions {
  /** Query rows and keys of one kernel tile (the kernel's TILE_Q and TILE_K: 64). */
  tileQ?: number;
  tileK?: number;
}

/** Per-item KV tile lists; offsets are relative to `entries` and `bitmaps` (the driver rebases them). */
export interface TileLists {
  tileQ: number;
  tileK: number;
  /** 4 words per item: request, first query row, output base, output stride (0: write the output itself). */
  items: Uint32Array;
  /** Head slots per item: 1 when every layout is shared by the heads, else numQoHeads. */
  listHeads: number;
  /** 2 words per (item, head slot): first entry (in words of `entries`), entry count. */
  lists: Uint32Array;
  /** 2 words per listed tile: its first key, then its kind (MIXED: `2 | bitmap index << 2`). */
  entries: Uint32Array;
  /** 2 · tileQ · tileK / 32 words per MIXED tile: the stored-block bitmap, then the element-test bitmap. */
  bitmaps: Uint32Array;
  /** Partial states per query row (the number of layouts when there are several, or of key splits; else 0). */
  partialsPerRow: number;
  /** Tiles of each kind over all items and heads, and those skipped (touched by no stored block). */
  counts: { full: number; masked: number; mixed: number; skipped: number };
}

/**
 * Kernel tile lists for one or more BSR layouts over a batch (checked against it). With several
 * layouts (composable formats) each query tile gets one item per layout, writing its partial
 * states to row `layout + layouts × queryRow`, for the merge kernel to contract.
 */
export function bsrTileLists(shape: BatchShape, layouts: readonly BsrLayout[], options: TileListOptions = {}): TileLists {
  const tileQ = options.tileQ ?? 64;
  const tileK = options.tileK ?? 64;
  layouts.forEach((layout, n) => checkBsrLayout(layout, shape, layouts.length === 1 ? 'bsr' : `formats[${n}]`));
  const listHeads = layouts.some((layout) => layout.heads === 'perHead') ? shape.numQoHeads : 1;
  const composed = layouts.length > 1;
  const items: number[] = [];
  const lists: number[] = [];
  const entries: number[] = [];
  const bitmaps: number[] = [];
  const counts = { full: 0, masked: 0, mixed: 0, skipped: 0 };
  const bitmapWords = (tileQ * tileK) / 32;

  for (let b = 0; b < shape.batchSize; b++) {
    const qoLen = shape.qoIndptr[b + 1] - shape.qoIndptr[b];
    const kvLen = shape.kvLens[b];
    for (let q0 = 0; q0 < qoLen; q0 += tileQ) {
      layouts.forEach((layout, n) => {
        items.push(b, q0, composed ? n : 0, composed ? layouts.length : 0);
        const shared = new Map<BsrMatrix, [number, number]>();
        for (let h = 0; h < listHeads; h++) {
          const matrix = layout.matrices[layout.heads === 'perHead' ? b * shape.numQoHeads + h : b];
          let list = shared.get(matrix);
          if (!list) {
            list = classify(matrix, q0, Math.min(qoLen, q0 + tileQ), kvLen);
            shared.set(matrix, list);
          }
          lists.push(...list);
        }
      });
    }
  }
  return {
    tileQ, tileK, listHeads, counts,
    items: Uint32Array.from(items),
    lists: Uint32Array.from(lists),
    entries: Uint32Array.from(entries),
    bitmaps: Uint32Array.from(bitmaps),
    partialsPerRow: composed ? layouts.length : 0,
  };

  /** Appends the list of query rows [q0, q1) of a matrix to `entries`; returns (first entry word, count). */
  function classify(matrix: BsrMatrix, q0: number, q1: number, kvLen: number): [number, number] {
    const tiles = Math.ceil(kvLen / tileK);
    const full = new Float64Array(tiles);
    const partial = new Float64Array(tiles);
    forEachRect(matrix, q0, q1, 0, kvLen, (rows, k0, k1, isPartial) => {
      for (let t = Math.floor(k0 / tileK); t * tileK < k1; t++) {
        const area = rows * (Math.min(k1, (t + 1) * tileK) - Math.max(k0, t * tileK));
        (isPartial ? partial : full)[t] += area;
      }
    });
    const first = entries.length;
    for (let t = 0; t < tiles; t++) {
      if (full[t] + partial[t] === 0) {
        counts.skipped++;
        continue;
      }
      const k0 = t * tileK;
      const k1 = Math.min(kvLen, k0 + tileK);
      const area = (q1 - q0) * (k1 - k0);
      if (full[t] === area) {
        entries.push(k0, TILE_FULL);
        counts.full++;
      } else if (partial[t] === area) {
        entries.push(k0, TILE_MASKED);
        counts.masked++;
      } else {
        const at = bitmaps.length;
        bitmaps.push(...new Array<number>(2 * bitmapWords).fill(0));
        forEachRect(matrix, q0, q1, k0, k1, (_rows, c0, c1, isPartial, r0, r1) => {
          for (let i = r0; i < r1; i++) {
            for (let j = c0; j < c1; j++) {
              const bit = (i - q0) * tileK + (j - k0);
              const word = at + (bit >>> 5);
              bitmaps[word] = (bitmaps[word] | (1 << (bit & 31))) >>> 0;
              if (isPartial) bitmaps[word + bitmapWords] = (bitmaps[word + bitmapWords] | (1 << (bit & 31))) >>> 0;
            }
          }
        });
        entries.push(k0, (TILE_MIXED | ((at / (2 * bitmapWords)) << 2)) >>> 0);
        counts.mixed++;
      }
    }
    return [first, (entries.length - first) / 2];
  }
}

/**
 * Calls `visit` for each stored block's rectangle within rows [q0, q1) and keys [k0, k1):
 * its row count, key range, whether it is partial, and its row range.
 */
function forEachRect(
  matrix: BsrMatrix,
  q0: number,
  q1: number,
  k0: number,
  k1: number,
  visit: (rows: number, c0: number, c1: number, isPartial: boolean, r0: number, r1: number) => void,
): void {
  if (q1 <= q0 || k1 <= k0) return;
  const { R, C } = matrix;
  for (let br = Math.floor(q0 / R); br * R < q1; br++) {
    const r0 = Math.max(q0, br * R);
    const r1 = Math.min(q1, (br + 1) * R);
    for (let n = matrix.indptr[br]; n < matrix.indptr[br + 1]; n++) {
      const c0 = Math.max(k0, matrix.indices[n] * C);
      const c1 = Math.min(k1, (matrix.indices[n] + 1) * C);
      if (c0 < c1) visit(r1 - r0, c0, c1, matrix.partial[n] === 1, r0, r1);
    }
  }
}

/**
 * Dense tile lists with each query tile's keys split into `splits` contiguous runs of tiles, one
 * item per run writing partial states (row `split + splits × queryRow`): split-KV for the tiled
 * kernel, e.g. the shared level of cascade attention, where one query tile meets many keys.
 * `kind` is FULL where no score needs the element test (no causal flag, no mask), else MASKED.
 */
export function splitTileLists(shape: BatchShape, splits: number, options: TileListOptions & { kind: typeof TILE_FULL | typeof TILE_MASKED }): TileLists {
  const tileQ = options.tileQ ?? 64;
  const tileK = options.tileK ?? 64;
  if (!Number.isInteger(splits) || splits < 1) throw new RangeError(`splits must be a positive whole number, got ${splits}`);
  const items: number[] = [];
  const lists: number[] = [];
  const entries: number[] = [];
  const counts = { full: 0, masked: 0, mixed: 0, skipped: 0 };
  for (let b = 0; b < shape.batchSize; b++) {
    const qoLen = shape.qoIndptr[b + 1] - shape.qoIndptr[b];
    const kvLen = shape.kvLens[b];
    for (let q0 = 0; q0 < qoLen; q0 += tileQ) {
      const kvEnd = tileKeyEnd(shape, b, q0, tileQ);
      const tiles = Math.ceil(kvEnd / tileK);
      counts.skipped += Math.ceil(kvLen / tileK) - tiles;
      for (let s = 0; s < splits; s++) {
        items.push(b, q0, s, splits);
        const first = Math.floor((s * tiles) / splits);
        const end = Math.floor(((s + 1) * tiles) / splits);
        lists.push(entries.length, end - first);
        for (let t = first; t < end; t++) entries.push(t * tileK, options.kind);
        if (options.kind === TILE_FULL) counts.full += end - first;
        else counts.masked += end - first;
      }
    }
  }
  return {
    tileQ, tileK, listHeads: 1, counts, partialsPerRow: splits,
    items: Uint32Array.from(items),
    lists: Uint32Array.from(lists),
    entries: Uint32Array.from(entries),
    bitmaps: new Uint32Array(0),
  };
}
