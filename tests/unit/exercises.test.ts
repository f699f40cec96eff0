import { describe, expect, test } from 'vitest';
import { createEngine } from '#kernels/index.ts';
import { EXERCISES, findExercise } from '#playground/notebook/exercise-registry.ts';
import { check as softCap } from '../../lessons/01-jit-variants/exercises/01-soft-cap/check.ts';
import { check as flashSigmoid } from '../../lessons/01-jit-variants/exercises/02-flash-sigmoid/check.ts';
import { check as slidingWindowSink } from '../../lessons/01-jit-variants/exercises/03-sliding-window-sink/check.ts';
import { check as fixedPattern } from '../../lessons/02-sparse-attention/exercises/01-fixed-pattern/check.ts';
import { check as fillBsr } from '../../lessons/02-sparse-attention/exercises/02-fill-bsr/check.ts';
import { check as cutAndPlace } from '../../lessons/03-load-balancing/exercises/01-cut-and-place/check.ts';
import { check as pageTable } from '../../lessons/04-paged-kv/exercises/01-page-table/check.ts';
import { check as treeParents } from '../../lessons/05-speculative-decoding/exercises/01-tree-parents/check.ts';
import { check as stallFree } from '../../lessons/06-batch-scheduling/exercises/01-stall-free-batching/check.ts';
import { check as countTheWork } from '../../lessons/07-evaluation/exercises/01-count-the-work/check.ts';
import { check as tileTraffic } from '../../lessons/08-memory-movement/exercises/01-tile-traffic/check.ts';

const engine = await createEngine({ backend: 'cpu' });

describe('every exercise', () => {
  /** Each lesson's exercises: the id, a short name `findExercise` takes, and the check its folder's check.ts exports. */
  const byLesson = [
    ['01-jit-variants/01-soft-cap', '01-soft-cap', softCap],
    ['01-jit-variants/02-flash-sigmoid', '02-flash-sigmoid', flashSigmoid],
    ['01-jit-variants/03-sliding-window-sink', '03-sliding-window-sink', slidingWindowSink],
    ['02-sparse-attention/01-fixed-pattern', 'fixed-pattern', fixedPattern],
    ['02-sparse-attention/02-fill-bsr', 'fill-bsr', fillBsr],
    ['03-load-balancing/01-cut-and-place', 'cut-and-place', cutAndPlace],
    ['04-paged-kv/01-page-table', 'page-table', pageTable],
    ['05-speculative-decoding/01-tree-parents', 'tree-parents', treeParents],
    ['06-batch-scheduling/01-stall-free-batching', 'stall-free-batching', stallFree],
    ['07-evaluation/01-count-the-work', 'count-the-work', countTheWork],
    ['08-memory-movement/01-tile-traffic', 'tile-traffic', tileTraffic],
  ] as const;

  test.each(byLesson)("%s is found (as '%s') and graded by its folder's check.ts", (id, key, check) => {
    expect(EXERCISES.map((e) => e.id)).toContain(id);
    expect(findExercise(key).id).toBe(id);
    expect(findExercise(key).check).toBe(check);
  });

  test('every exercise folder is in that list', () => {
    expect(EXERCISES.map((e) => e.id).sort()).toEqual(byLesson.map(([id]) => id).sort());
  });

  for (const exercise of EXERCISES) {
    describe(exercise.id, () => {
      test('has a title, a task and hints', () => {
        expect(exercise.title.length).toBeGreaterThan(0);
        expect(exercise.task.length).toBeGreaterThan(0);
        expect(exercise.hints.length).toBeGreaterThanOrEqual(2);
      });

      test('the solution passes every case', async () => {
        const report = await exercise.check(exercise.solution, engine);
        expect(report.diagnostics).toEqual([]);
        expect(report.cases.length).toBeGreaterThanOrEqual(4);
        for (const c of report.cases) expect(c.passed, `${c.name}: ${c.summary}`).toBe(true);
        expect(report.passed).toBe(true);
      });

      test('the start compiles and fails', async () => {
        const report = await exercise.check(exercise.start, engine);
        expect(report.diagnostics).toEqual([]);
        expect(report.passed).toBe(false);
        const failed = report.cases.filter((c) => !c.passed);
        expect(failed.length).toBeGreaterThan(0);
        for (const c of failed) {
          // An attention case names expected and got values; a custom case says what is wrong in a sentence.
          expect(c.summary).toMatch(/expected|declare|failed|should|off|not|differs/);
        }
      });
    });
  }
});

const MASK = `export const vars = { stride: 16 as i32 };
export function logitsMask(idx: Idx): boolean {
  const pos = idx.qo + idx.kvLen - idx.qoLen;
  return idx.kv <= pos && (pos - idx.kv < vars.stride || idx.kv % vars.stride == vars.stride - 1);
}
`;

describe('lesson 2: the fixed pattern and its blocks', () => {
  test('a right mask with a wrong prediction fails only the prediction, and says which way it is off', async () => {
    const report = await fixedPattern(`${MASK}export const nonEmptyBlocks = 36;\nexport const fullBlocks = 7;\n`, engine);
    expect(report.cases.filter((c) => !c.passed).map((c) => c.name)).toEqual(['predicted blocks, 64 tokens in 8 × 8 blocks']);
    expect(report.cases.at(-1)!.summary).toBe('Your prediction is off: 36 non-empty blocks is too many. Count block row by block row.');
  });

  test('the right counts with the causal mask pass the prediction and fail the attention cases', async () => {
    const causal = 'export const vars = { stride: 16 as i32 };\nexport function logitsMask(idx: Idx): boolean { return idx.kv <= idx.qo + idx.kvLen - idx.qoLen; }\n';
    const report = await fixedPattern(`${causal}export const nonEmptyBlocks = 27;\nexport const fullBlocks = 7;\n`, engine);
    expect(report.cases.at(-1)!.passed).toBe(true);
    expect(report.cases.find((c) => c.name === 'prefill of 64 tokens, stride 16')!.passed).toBe(false);
    // Two keys and a stride of 2: causal and the pattern agree on the short cases.
    expect(report.cases.find((c) => c.name === 'length 1')!.passed).toBe(true);
  });

  test('an answer that is an expression is a diagnostic at its line, and no case runs', async () => {
    const report = await fixedPattern(`${MASK}export const nonEmptyBlocks = 20 + 7;\nexport const fullBlocks = 7;\n`, engine);
    expect(report.cases).toEqual([]);
    expect(report.diagnostics).toEqual([expect.objectContaining({ line: 6, message: expect.stringContaining('it is read, not run') })]);
  });
});

describe('lesson 2: filling a BSR layout', () => {
  const grade = (indptr: number[], indices: number[]) => fillBsr(`export const indptr = [${indptr}];\nexport const indices = [${indices}];\n`, engine);
  const failedNames = (report: Awaited<ReturnType<typeof grade>>) => report.cases.filter((c) => !c.passed).map((c) => c.name);

  test('a missing block loses kept scores: the rows it touches are named, and the mask and layout are drawn', async () => {
    // Block (2, 1) holds keys 4 and 7 for queries 8–11: left out here.
    const report = await grade([0, 1, 3, 4, 4], [0, 0, 1, 0]);
    expect(failedNames(report)).toEqual(['blocks per block row (indptr)', 'no kept score left out', 'attention over your layout']);
    const lost = report.cases.find((c) => c.name === 'no kept score left out')!;
    expect(lost.summary).toContain('block (2, 1) with query 8, key 4');
    expect(lost.matrices?.map((m) => [m.rows, m.cols])).toEqual([[16, 16], [4, 4]]);
    expect(report.cases.at(-1)!.summary).toContain('on queries 8, 9, 10, 11');
  });

  test('an extra all-masked block wastes work but changes no output', async () => {
    // Block (2, 2): keys 8–11 were dropped.
    const report = await grade([0, 1, 3, 6, 6], [0, 0, 1, 0, 1, 2]);
    expect(failedNames(report)).toEqual(['blocks per block row (indptr)', 'no empty block stored']);
    expect(report.cases.find((c) => c.name === 'no empty block stored')!.summary).toContain('block (2, 2)');
  });

  test('arrays that are not a BSR matrix say why, and the cases that need one wait for it', async () => {
    const report = await grade([0, 1, 3, 5, 5], [0, 1, 0, 0, 1]);
    expect(report.cases[0]).toMatchObject({ passed: false, summary: expect.stringContaining('block columns in a row must strictly increase') });
    expect(report.cases.slice(2).every((c) => c.summary.startsWith('Not checked'))).toBe(true);
  });
});

describe('lesson 3: cutting and placing the keys', () => {
  const grade = (naiveMakespan: number, chunk: number, makespan: number) =>
    cutAndPlace(`export const naiveMakespan = ${naiveMakespan};\nexport const chunk = ${chunk};\nexport const makespan = ${makespan};\n`, engine);
  const failedNames = (report: Awaited<ReturnType<typeof grade>>) => report.cases.filter((c) => !c.passed).map((c) => c.name);

  test('a power-of-two chunk balances but splits three requests: only "one merge" fails, and it names them', async () => {
    // 512 keys: twelve items of 514 units, three on each slot (1542 ≤ 1553), but 3072 and both 1024s are cut.
    const report = await grade(3074, 512, 1542);
    expect(failedNames(report)).toEqual(['one merge']);
    expect(report.cases.find((c) => c.name === 'one merge')!.summary).toBe('chunk 512 splits 3 requests (3072 keys, 1024 keys, 1024 keys): each split row costs a merge. Should only the longest be cut?');
    expect(report.cases.at(-1)!.maxAbsError).toBeLessThanOrEqual(1e-5);
  });

  test('cutting only the long request in uneven pieces leaves a slot over its share', async () => {
    // 2048 keys: 2050 + 1026 + … on 4 slots; the busiest ends at 2050 > 1553.
    const report = await grade(3074, 2048, 2050);
    expect(failedNames(report)).toEqual(['your chunk balances the batch']);
    expect(report.cases[1].summary).toBe('chunk 2048: items of 2050, 1026, 1026, 1026, 514, 514 units finish at 2050; the perfect spread is 1538.5, and within 1% means at most 1553. The busiest slot should not hold more than its share.');
  });

  test('wrong hand arithmetic fails only its own case, with the item costs to redo it', async () => {
    const report = await grade(3072, 1536, 1538);
    expect(failedNames(report)).toEqual(['the naive makespan', 'your makespan']);
    expect(report.cases[3].summary).toContain('its items cost 1538, 1538, 1026, 1026, 514, 514');
  });

  test('a chunk that is not a whole number is refused, and the cases that need a plan wait for one', async () => {
    const report = await grade(3074, 0, 1540);
    expect(report.cases[1].summary).toBe('Not a chunk: chunk must be a whole number of keys ≥ 1, got 0.');
    expect(report.cases.slice(2).every((c) => c.summary.startsWith('Not checked'))).toBe(true);
  });
});

describe('lesson 4: writing the page table', () => {
  const grade = (indptr: number[], indices: number[], last: number[]) =>
    pageTable(`export const kvIndptr = [${indptr}];\nexport const kvIndices = [${indices}];\nexport const kvLastPageLen = [${last}];\n`, engine);
  const failedNames = (report: Awaited<ReturnType<typeof grade>>) => report.cases.filter((c) => !c.passed).map((c) => c.name);

  test("a request's pages out of token order: kvIndices names the page and its tokens, attention names the request", async () => {
    const report = await grade([0, 2, 5, 6], [1, 6, 3, 0, 7, 4], [1, 4, 1]);
    expect(failedNames(report)).toEqual(['which pages (kvIndices)', 'attention through your page table']);
    expect(report.cases[1].summary).toBe("kvIndices[0] should be request 0's page for tokens 0–3, page 6; yours is 1.");
    expect(report.cases[3].summary).toContain('for request 0:');
  });

  test('a full last page written as 0 fails only kvLastPageLen; the engine refuses the table and says why', async () => {
    const report = await grade([0, 2, 5, 6], [6, 1, 3, 0, 7, 4], [1, 0, 1]);
    expect(failedNames(report)).toEqual(['tokens in each last page (kvLastPageLen)', 'attention through your page table']);
    expect(report.cases[2].summary).toBe('Request 1 has 12 tokens: its last page holds 4, not 0 (from 1 to 4; a full last page is 4, not 0).');
    expect(report.cases[3].summary).toBe('The engine refused your page table, so attention did not run: kv.kvLastPageLen: entry 1 is 0; request 1 has 3 pages, so it must be from 1 to 4.');
  });

  test('a page too few for request 1 fails the page count and the attention run', async () => {
    const report = await grade([0, 2, 4, 5], [6, 1, 3, 0, 4], [1, 4, 1]);
    expect(failedNames(report)).toEqual(['pages per request (kvIndptr)', 'which pages (kvIndices)', 'attention through your page table']);
    expect(report.cases[0].summary).toBe('Request 1 has 12 tokens, so it should hold 3 pages of 4; kvIndptr[2] − kvIndptr[1] = 2.');
  });

  test('arrays of the wrong length stop before attention runs; a free page is named as free', async () => {
    const report = await grade([0, 2, 5, 6, 6], [6, 2, 3, 0, 7, 4], [1, 4, 1]);
    expect(report.cases[1].summary).toBe("kvIndices[1] should be request 0's page for token 4, page 1; yours is 2 (page 2 is free: no request's tokens are on it).");
    expect(report.cases[3].summary).toBe('Not run: kvIndptr needs 4 entries and kvLastPageLen 3 before attention can run (see the cases above).');
  });
});

describe('lesson 5: parent pointers of a token tree', () => {
  const grade = (parents: number[]) => treeParents(`export const parents = [${parents}];\n`, engine);
  const failedNames = (report: Awaited<ReturnType<typeof grade>>) => report.cases.filter((c) => !c.passed).map((c) => c.name);

  test('a token attached to the wrong branch is named, and tree attention names the tokens that saw the wrong keys', async () => {
    // " barked" (5) under " cat" (1) instead of " dog" (2).
    const report = await grade([0, 0, 1, 1, 1, 3]);
    expect(failedNames(report)).toEqual(["each token's parent", 'tree attention through your tree']);
    expect(report.cases[2].summary).toBe('token 5 (" barked") should continue token 2 (" dog"); yours says token 1 (" cat").');
    expect(report.cases[3].summary).toContain('for token 5 (" barked"):');
  });

  test("the lesson's −1 for the prefix is a diagnostic that says why, and no case runs", async () => {
    const report = await treeParents('export const parents = [-1, -1, 0, 0, 1, 2];\n', engine);
    expect(report.cases).toEqual([]);
    expect(report.diagnostics.map((d) => d.message)).toEqual(['`parents` holds whole numbers from 0 up; a negative number is not one.']);
  });

  test('too few entries, a token that does not exist, a token that continues itself: each said plainly', async () => {
    expect((await grade([0, 0, 1])).cases[1].summary).toBe('Not a token tree: parents needs one entry per draft token (6) before it can be a tree; yours has 3.');
    expect((await grade([0, 0, 1, 1, 2, 7])).cases[1].summary).toBe('Not a token tree: token 6 (" down") continues token 7, but the tokens are 0 to 6.');
    expect((await grade([0, 2, 1, 1, 2, 3])).cases[1].summary).toBe('Not a token tree: token 2 (" dog") continues itself; a token continues the verified text (0) or an earlier draft token.');
  });

  test('a parent drafted after its child is not a tree; the later cases wait', async () => {
    const report = await grade([0, 3, 1, 1, 2, 3]);
    expect(report.cases[1].summary).toBe('Not a token tree: token 2 (" dog") continues token 3, which is not drafted before it; a token continues the verified text (0) or an earlier draft token.');
    expect(report.cases.slice(2).map((c) => c.summary.split(':')[0])).toEqual(['Not checked', 'Not run']);
  });
});
