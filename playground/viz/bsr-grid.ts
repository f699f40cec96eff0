import type { BlockKind, BsrMatrix } from '#kernels/index.ts';

/** Fill colours of the three block classes (colour-blind safe: blue, orange, pale grey). */
export const BLOCK_COLORS: Record<BlockKind, string> = { full: '#6baed6', partial: '#fd8d3c', empty: '#f2f2f2' };

/** The class of every block of a BSR matrix, row-major over its `rows / R × cols / C` block grid. */
export function blockGrid(matrix: BsrMatrix): BlockKind[] {
  const blockRows = matrix.rows / matrix.R;
  const blockCols = matrix.cols / matrix.C;
  const kinds = new Array<BlockKind>(blockRows * blockCols).fill('empty');
  for (let r = 0; r < blockRows; r++) {
    for (let n = matrix.indptr[r]; n < matrix.indptr[r + 1]; n++) {
      kinds[r * blockCols + matrix.indices[n]] = matrix.partial[n] ? 'partial' : 'full';
    }
  }
  return kinds;
}

/** The block sizes that divide `n` (and so tile it), ascending, up to `max`. */
export function divisors(n: number, max = n): number[] {
  const out: number[] = [];
  for (let d = 1; d <= Math.min(n, max); d++) if (n % d === 0) out.push(d);
  return out;
}

/** Whole pixels per score so a `rows × cols` grid fits in `maxPx` on its longer side (at least 1). */
export function cellPixels(rows: number, cols: number, maxPx: number): number {
  return Math.max(1, Math.floor(maxPx / Math.max(1, rows, cols)));
}
