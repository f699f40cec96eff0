import {
  AttentionInputError,
  randomBatch,
  referenceAttention,
  seededRandom,
  type AttentionArgs,
  type Engine,
  type PagedKv,
} from '#kernels/index.ts';
import { defineCheck, matchesReference, TOLERANCE, type CaseResult, type Submission } from '#playground/notebook/exercise.ts';
import solution from './solution.ts?raw';

const PAGE_SIZE = 4;
const NUM_PAGES = 8;
const LENGTHS = [5, 12, 1];
/** Each request's pages in token order: the pool drawn in the README. */
const PAGES = [[6, 1], [3, 0, 7], [4]];
const HEADS = { numQoHeads: 4, numKvHeads: 2, headDim: 64 };

const pageCount = (n: number) => Math.ceil(n / PAGE_SIZE);
const lastPageLen = (n: number) => n - PAGE_SIZE * (pageCount(n) - 1);
const FREE_PAGES = Array.from({ length: NUM_PAGES }, (_, p) => p).filter((p) => !PAGES.flat().includes(p));
/** `tokens 0–3`, or `token 4` for a page holding one. */
function tokensOnPage(b: number, p: number): string {
  const first = p * PAGE_SIZE;
  const last = Math.min(LENGTHS[b], (p + 1) * PAGE_SIZE) - 1;
  return first === last ? `token ${first}` : `tokens ${first}–${last}`;
}
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** An answer array (the source format has checked it is whole numbers ≥ 0). */
const numbers = (learner: Submission, name: string) => learner.answers[name] as number[];

function indptrCase(learner: Submission): CaseResult {
  const indptr = numbers(learner, 'kvIndptr');
  if (indptr.length !== LENGTHS.length + 1) return { passed: false, summary: `kvIndptr needs one entry per request plus one: ${LENGTHS.length + 1} entries, yours has ${indptr.length}.` };
  if (indptr[0] !== 0) return { passed: false, summary: `kvIndptr should start at 0 (request 0's first page is kvIndices[0]); yours starts at ${indptr[0]}.` };
  for (let b = 0; b < LENGTHS.length; b++) {
    const got = indptr[b + 1] - indptr[b];
    if (got !== pageCount(LENGTHS[b])) {
      return { passed: false, summary: `Request ${b} has ${plural(LENGTHS[b], 'token')}, so it should hold ${plural(pageCount(LENGTHS[b]), 'page')} of ${PAGE_SIZE}; kvIndptr[${b + 1}] − kvIndptr[${b}] = ${got}.` };
    }
  }
  return { passed: true, summary: `Requests of ${LENGTHS.join(', ')} tokens hold ${LENGTHS.map(pageCount).join(', ')} pages.` };
}

function indicesCase(learner: Submission): CaseResult {
  const indices = numbers(learner, 'kvIndices');
  const want = PAGES.flat();
  if (indices.length !== want.length) return { passed: false, summary: `kvIndices should list the batch's ${want.length} pages in use, one entry per page; yours has ${indices.length}.` };
  let at = 0;
  for (let b = 0; b < PAGES.length; b++) {
    for (let p = 0; p < PAGES[b].length; p++, at++) {
      if (indices[at] !== PAGES[b][p]) {
        const free = FREE_PAGES.includes(indices[at]) ? ` (page ${indices[at]} is free: no request's tokens are on it)` : '';
        return { passed: false, summary: `kvIndices[${at}] should be request ${b}'s page for ${tokensOnPage(b, p)}, page ${PAGES[b][p]}; yours is ${indices[at]}${free}.` };
      }
    }
  }
  return { passed: true, summary: 'Every request lists its own pages, in token order.' };
}

function lastPageCase(learner: Submission): CaseResult {
  const last = numbers(learner, 'kvLastPageLen');
  if (last.length !== LENGTHS.length) return { passed: false, summary: `kvLastPageLen needs one entry per request: ${LENGTHS.length}, yours has ${last.length}.` };
  for (let b = 0; b < LENGTHS.length; b++) {
    if (last[b] !== lastPageLen(LENGTHS[b])) {
      return { passed: false, summary: `Request ${b} has ${plural(LENGTHS[b], 'token')}: its last page holds ${lastPageLen(LENGTHS[b])}, not ${last[b]} (from 1 to ${PAGE_SIZE}; a full last page is ${PAGE_SIZE}, not 0).` };
    }
  }
  return { passed: true, summary: `The last pages hold ${LENGTHS.map(lastPageLen).join(', ')} tokens.` };
}

/** The batch with contiguous (ragged) keys, and the same keys placed in the pool as drawn; unused pages hold other values. */
function batches(): { ragged: AttentionArgs & { kv: { kind: 'ragged' } }; pool: Pick<PagedKv, 'kPages' | 'vPages'> } {
  // A causal prefill (query t sees keys 0 … t): each key's position matters, so pages out of order show.
  const ragged = randomBatch({ qoLens: LENGTHS, kvLens: LENGTHS, ...HEADS, causal: true, seed: 71 });
  const row = HEADS.numKvHeads * HEADS.headDim;
  const random = seededRandom(72);
  const kPages = Float32Array.from({ length: NUM_PAGES * PAGE_SIZE * row }, () => random() * 2 - 1);
  const vPages = Float32Array.from({ length: NUM_PAGES * PAGE_SIZE * row }, () => random() * 2 - 1);
  let token = 0;
  LENGTHS.forEach((n, b) => {
    for (let t = 0; t < n; t++, token++) {
      const slot = (PAGES[b][Math.floor(t / PAGE_SIZE)] * PAGE_SIZE + (t % PAGE_SIZE)) * row;
      kPages.set(ragged.kv.k.subarray(token * row, (token + 1) * row), slot);
      vPages.set(ragged.kv.v.subarray(token * row, (token + 1) * row), slot);
    }
  });
  return { ragged, pool: { kPages, vPages } };
}

async function attentionCase(learner: Submission, _solution: Submission, engine: Engine): Promise<CaseResult> {
  if (numbers(learner, 'kvIndptr').length !== LENGTHS.length + 1 || numbers(learner, 'kvLastPageLen').length !== LENGTHS.length) {
    return { passed: false, summary: `Not run: kvIndptr needs ${LENGTHS.length + 1} entries and kvLastPageLen ${LENGTHS.length} before attention can run (see the cases above).` };
  }
  const { ragged, pool } = batches();
  const paged: AttentionArgs = {
    ...ragged,
    kv: { kind: 'paged', ...pool, pageSize: PAGE_SIZE, kvIndptr: numbers(learner, 'kvIndptr'), kvIndices: numbers(learner, 'kvIndices'), kvLastPageLen: numbers(learner, 'kvLastPageLen') },
  };
  const started = performance.now();
  let got;
  try {
    got = await engine.run(paged);
  } catch (error) {
    if (error instanceof AttentionInputError) return { passed: false, summary: `The engine refused your page table, so attention did not run: ${error.message.replace(/\.$/, '')}.` };
    throw error;
  }
  const ms = performance.now() - started;
  const want = referenceAttention(ragged);
  const { passed, maxAbsError } = matchesReference(got, want);
  if (passed) return { passed, maxAbsError, bound: TOLERANCE, ms, summary: 'Paged attention through your page table equals attention over the keys stored contiguously.' };
  const heads = HEADS.numQoHeads;
  const firstToken = LENGTHS.map((_, b) => LENGTHS.slice(0, b).reduce((sum, n) => sum + n, 0));
  const wrong = LENGTHS.map((_, b) => b).filter((b) => {
    const rows = Array.from({ length: LENGTHS[b] * heads }, (_, i) => (firstToken[b] * heads) + i);
    return rows.some((row) => !(Math.abs(got.lse[row] - want.lse[row]) <= TOLERANCE));
  });
  return { passed, maxAbsError, bound: TOLERANCE, ms, summary: `Paged attention through your page table differs from attention over the contiguous keys for request${wrong.length === 1 ? '' : 's'} ${wrong.join(', ')}: the kernel read keys from pages (or slots) that are not theirs.` };
}

export const check = defineCheck({
  solution,
  format: { variant: false, answers: [{ name: 'kvIndptr', kind: 'counts' }, { name: 'kvIndices', kind: 'counts' }, { name: 'kvLastPageLen', kind: 'counts' }] },
  cases: [
    { name: 'pages per request (kvIndptr)', description: 'Request b holds kvIndptr[b + 1] − kvIndptr[b] pages: ⌈tokens / 4⌉.', grade: indptrCase },
    { name: 'which pages (kvIndices)', description: "Each request's pages in token order, request after request; free pages nowhere.", grade: indicesCase },
    { name: 'tokens in each last page (kvLastPageLen)', description: 'From 1 to the page size: a full last page counts 4.', grade: lastPageCase },
    { name: 'attention through your page table', description: 'A causal prefill of every token (4 query heads over 2 KV heads) reading keys and values through your arrays must equal attention over the same keys stored contiguously.', grade: attentionCase },
  ],
});
