import {
  AttentionInputError,
  bsrAttention,
  bsrFromMask,
  blockKind,
  checkBsr,
  compileVariant,
  randomBatch,
  referenceAttention,
  type AttentionArgs,
  type BsrLayout,
  type BsrMatrix,
} from '#kernels/index.ts';
import { defineCheck, matchesReference, TOLERANCE, type CaseResult, type Matrix, type Submission } from '#playground/notebook/exercise.ts';
import solution from './solution.ts?raw';

/** The mask of the task: causal; keys 5, 6 and 8–11 dropped from the KV cache; queries 12–15 are padding. */
export const MASK_SOURCE = `export function logitsMask(idx: Idx): boolean {
  const dropped = idx.kv == 5 || idx.kv == 6 || (idx.kv >= 8 && idx.kv < 12);
  const padding = idx.qo >= 12;
  return idx.kv <= idx.qo && !dropped && !padding;
}
`;

const TOKENS = 16;
const BLOCK = 4;

const maskVariant = (() => {
  const compiled = compileVariant(MASK_SOURCE);
  if (!compiled.ok) throw new Error(`the exercise's mask does not compile: ${compiled.errors[0].message}`);
  return compiled.variant;
})();

function args(): AttentionArgs {
  return { ...randomBatch({ qoLens: [TOKENS], kvLens: [TOKENS], numQoHeads: 2, numKvHeads: 2, headDim: 64, seed: 51 }), variant: maskVariant };
}

const hooks = maskVariant.instantiate({ vars: {}, tensors: {}, headDim: 64 }).hooks;
const visible = (qo: number, kv: number) => hooks.logitsMask!({ batch: 0, qo, kv, qoHead: 0, kvHead: 0, qoLen: TOKENS, kvLen: TOKENS });
const expected: BsrMatrix = bsrFromMask(visible, { rows: TOKENS, cols: TOKENS, R: BLOCK, C: BLOCK });

const maskPicture: Matrix = {
  rows: TOKENS,
  cols: TOKENS,
  values: Array.from({ length: TOKENS * TOKENS }, (_, i) => (visible(Math.floor(i / TOKENS), i % TOKENS) ? 1 : 0)),
  rowLabel: 'query',
  colLabel: 'key',
  label: 'the mask (1 = score kept)',
};

/** The learner's arrays as a checked matrix, or why they are not one. */
function learnerMatrix(learner: Submission): BsrMatrix | string {
  try {
    return checkBsr({ rows: TOKENS, cols: TOKENS, R: BLOCK, C: BLOCK, indptr: learner.answers.indptr as number[], indices: learner.answers.indices as number[] });
  } catch (error) {
    if (error instanceof AttentionInputError) return error.message;
    throw error;
  }
}

function storedPicture(matrix: BsrMatrix): Matrix {
  const grid = TOKENS / BLOCK;
  return {
    rows: grid,
    cols: grid,
    values: Array.from({ length: grid * grid }, (_, i) => (blockKind(matrix, Math.floor(i / grid), i % grid) === 'empty' ? 0 : 1)),
    rowLabel: 'block row',
    colLabel: 'block column',
    label: 'the blocks your layout stores (1 = stored)',
  };
}

const NEEDS_VALID = 'Not checked: your indptr and indices are not a valid BSR matrix yet (see the first case).';

/** Blocks (row, col) where `want` and `got` disagree about being stored. */
function blocksWhere(stored: (row: number, col: number) => boolean): [number, number][] {
  const grid = TOKENS / BLOCK;
  const out: [number, number][] = [];
  for (let r = 0; r < grid; r++) for (let c = 0; c < grid; c++) if (stored(r, c)) out.push([r, c]);
  return out;
}

function firstKept(row: number, col: number): string {
  for (let i = row * BLOCK; i < (row + 1) * BLOCK; i++) for (let j = col * BLOCK; j < (col + 1) * BLOCK; j++) if (visible(i, j)) return `query ${i}, key ${j}`;
  return 'none';
}

const stores = (matrix: BsrMatrix, row: number, col: number) => blockKind(matrix, row, col) !== 'empty';

function wellFormed(learner: Submission): CaseResult {
  const matrix = learnerMatrix(learner);
  if (typeof matrix === 'string') return { passed: false, summary: `Not a valid BSR matrix: ${matrix}.` };
  return { passed: true, summary: `A valid ${TOKENS / BLOCK} × ${TOKENS / BLOCK} block grid storing ${matrix.indices.length} blocks.` };
}

function blocksPerRow(learner: Submission): CaseResult {
  const indptr = learner.answers.indptr as number[];
  const grid = TOKENS / BLOCK;
  if (indptr.length !== grid + 1) return { passed: false, summary: `indptr needs one entry per block row plus one: ${grid + 1} entries, yours has ${indptr.length}.` };
  for (let r = 0; r < grid; r++) {
    const want = expected.indptr[r + 1] - expected.indptr[r];
    const got = indptr[r + 1] - indptr[r];
    if (got !== want) {
      return { passed: false, summary: `Block row ${r} (queries ${r * BLOCK}–${(r + 1) * BLOCK - 1}) should store ${want} block${want === 1 ? '' : 's'}; indptr[${r + 1}] − indptr[${r}] = ${got}.` };
    }
  }
  return { passed: true, summary: 'Every block row stores as many blocks as the mask needs.' };
}

function noKeptScoreLost(learner: Submission): CaseResult {
  const matrix = learnerMatrix(learner);
  if (typeof matrix === 'string') return { passed: false, summary: NEEDS_VALID };
  const missing = blocksWhere((r, c) => stores(expected, r, c) && !stores(matrix, r, c));
  if (missing.length === 0) return { passed: true, summary: 'Every block with a kept score is stored.' };
  const [r, c] = missing[0];
  return {
    passed: false,
    summary: `${missing.length} block${missing.length === 1 ? ' holds' : 's hold'} kept scores but ${missing.length === 1 ? 'is' : 'are'} not stored, e.g. block (${r}, ${c}) with ${firstKept(r, c)}: a kernel would skip those scores.`,
    matrices: [maskPicture, storedPicture(matrix)],
  };
}

function noEmptyBlockStored(learner: Submission): CaseResult {
  const matrix = learnerMatrix(learner);
  if (typeof matrix === 'string') return { passed: false, summary: NEEDS_VALID };
  const extra = blocksWhere((r, c) => !stores(expected, r, c) && stores(matrix, r, c));
  if (extra.length === 0) return { passed: true, summary: 'No block whose every score is masked is stored.' };
  const [r, c] = extra[0];
  return {
    passed: false,
    summary: `${extra.length} stored block${extra.length === 1 ? ' has' : 's have'} every score masked, e.g. block (${r}, ${c}): a kernel would compute its ${BLOCK * BLOCK} scores and throw them all away.`,
    matrices: [maskPicture, storedPicture(matrix)],
  };
}

function attentionMatches(learner: Submission): CaseResult {
  const matrix = learnerMatrix(learner);
  if (typeof matrix === 'string') return { passed: false, summary: NEEDS_VALID };
  const batch = args();
  // The learner lists blocks; which of them need the element mask follows from the mask itself.
  const partial = Array.from(matrix.indices, (c, n) => {
    const r = matrix.indptr.findLastIndex((start) => start <= n);
    for (let i = r * BLOCK; i < (r + 1) * BLOCK; i++) for (let j = c * BLOCK; j < (c + 1) * BLOCK; j++) if (!visible(i, j)) return 1;
    return 0;
  });
  const layout: BsrLayout = { R: BLOCK, C: BLOCK, heads: 'shared', matrices: [{ ...matrix, partial: Uint8Array.from(partial) }] };
  const started = performance.now();
  const got = bsrAttention(batch, layout);
  const ms = performance.now() - started;
  const want = referenceAttention(batch);
  const { passed, maxAbsError } = matchesReference(got, want);
  if (passed) {
    return { passed, maxAbsError, bound: TOLERANCE, ms, summary: 'Block-sparse attention over your layout (the CPU reference, bsrAttention) equals dense masked attention.' };
  }
  const rowsWrong = new Set<number>();
  for (let t = 0; t < TOKENS; t++) {
    for (let h = 0; h < 2; h++) if (Math.abs(got.lse[t * 2 + h] - want.lse[t * 2 + h]) > TOLERANCE || Number.isFinite(got.lse[t * 2 + h]) !== Number.isFinite(want.lse[t * 2 + h])) rowsWrong.add(t);
  }
  return {
    passed,
    maxAbsError,
    bound: TOLERANCE,
    ms,
    summary: `Block-sparse attention over your layout differs from dense masked attention on queries ${[...rowsWrong].join(', ')}: the scores your layout leaves out are missing from their softmax.`,
    matrices: [maskPicture, storedPicture(matrix)],
  };
}

export const check = defineCheck({
  solution,
  format: { variant: false, answers: [{ name: 'indptr', kind: 'counts' }, { name: 'indices', kind: 'counts' }] },
  cases: [
    { name: 'a valid BSR matrix', description: 'indptr starts at 0 and never decreases; indices are block columns 0–3, increasing within each block row.', grade: wellFormed },
    { name: 'blocks per block row (indptr)', description: 'Block row r stores indptr[r + 1] − indptr[r] blocks; the padding row stores none.', grade: blocksPerRow },
    { name: 'no kept score left out', description: 'A block that holds any kept score must be stored, even when tokens were dropped from it.', grade: noKeptScoreLost },
    { name: 'no empty block stored', description: 'A block whose every score is masked (dropped keys, the future, padding) is skipped.', grade: noEmptyBlockStored },
    { name: 'attention over your layout', description: 'Only your stored blocks are visited (the mask still runs inside partial ones); the result must equal dense masked attention.', grade: attentionMatches },
  ],
});
