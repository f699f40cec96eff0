import { readFileSync } from 'node:fs';
import { expect, test, type Locator, type Page } from '@playwright/test';

const LESSON = '/lessons/01-jit-variants';
const SOFT_CAP = '01-jit-variants/01-soft-cap';

// Typed into Monaco, which closes a `{` by itself: each brace pair stays on one line.
const SOFT_CAP_SOLUTION = [
  'export const vars = { cap: 30.0 };',
  'export function logitsTransform(logit: number, idx: Idx): number { return vars.cap * Math.tanh(logit / vars.cap); }',
  'export function logitsMask(idx: Idx): boolean { return idx.kv <= idx.qo + idx.kvLen - idx.qoLen; }',
].join('\n');

/**
 * Waits until every notebook cell has finished: leaving or reloading a page while SwiftShader
 * compiles a pipeline stalls the next test.
 */
async function allCellsRan(page: Page) {
  const status = page.getByTestId('notebook-status');
  await expect(status).toHaveText(/^All \d+ cells ran\.$/, { timeout: 90_000 });
  await expect(status).toHaveAttribute('data-busy', '0');
}

/** The exercise's section, once its saved progress is applied and its editor has loaded. */
async function openExercise(page: Page, id: string): Promise<Locator> {
  const exercise = page.locator(`section[data-exercise="${id}"]`);
  await expect(exercise).toHaveAttribute('data-restored', 'true');
  await expect(exercise.locator('.monaco-editor')).toBeVisible();
  return exercise;
}

async function typeInto(exercise: Locator, text: string) {
  await exercise.locator('.view-lines').click();
  await exercise.page().keyboard.press('Control+A');
  await exercise.page().keyboard.insertText(text);
}

/** Presses Check and waits for the report. */
async function check(exercise: Locator) {
  await exercise.getByRole('button', { name: 'Check' }).click();
  const result = exercise.getByTestId('exercise-result');
  await expect(result).toHaveAttribute('data-checking', 'false', { timeout: 150_000 });
  await expect(result).not.toContainText('Checking');
}

test('lesson 1 lists its exercises under Exercises, in the table of contents too', async ({ page }) => {
  await page.goto(LESSON);
  const toc = page.getByRole('navigation', { name: 'On this page' });
  await expect(toc.getByRole('link', { name: 'Exercises' })).toHaveAttribute('href', '#exercises');
  await expect(toc.getByRole('link', { name: 'Soft-cap the logits' })).toHaveAttribute('href', '#exercise-01-soft-cap');
  await expect(page.getByRole('heading', { level: 3, name: 'Soft-cap the logits' })).toBeVisible();
  await expect(page.getByRole('heading', { level: 3, name: 'FlashSigmoid' })).toBeVisible();
  const exercise = await openExercise(page, SOFT_CAP);
  // The README's math is typeset at build time.
  await expect(exercise.locator('.task .katex').first()).toBeVisible();
  await expect(exercise.getByTestId('exercise-state')).toHaveText('Not passed yet');
  await allCellsRan(page);
});

test('solving the soft-cap exercise: every case passes, and the code and "passed" survive a reload', async ({ page }) => {
  await page.goto(LESSON);
  await allCellsRan(page);
  let exercise = await openExercise(page, SOFT_CAP);

  await typeInto(exercise, SOFT_CAP_SOLUTION);
  await check(exercise);
  await expect(exercise.getByTestId('exercise-summary')).toContainText('All 5 cases pass.');
  await expect(exercise.getByTestId('exercise-summary')).toContainText('your GPU (WebGPU)');
  await expect(exercise.getByTestId('exercise-case')).toHaveCount(5);
  await expect(exercise.locator('[data-testid="exercise-case"][data-passed="false"]')).toHaveCount(0);
  await expect(exercise.getByTestId('exercise-case').first()).toContainText('max |error|');
  await expect(exercise.getByTestId('exercise-state')).toHaveText('Passed');

  await page.reload();
  await allCellsRan(page);
  exercise = await openExercise(page, SOFT_CAP);
  await expect(exercise.getByTestId('exercise-state')).toHaveText('Passed');
  await expect(exercise.locator('.view-lines')).toContainText('Math.tanh(logit / vars.cap)');
});

test('a wrong answer names its failed cases and draws them; a syntax error is marked on its line', async ({ page }) => {
  await page.goto(LESSON);
  await allCellsRan(page);
  const exercise = await openExercise(page, SOFT_CAP);

  // The start code ignores the cap.
  await check(exercise);
  await expect(exercise.getByTestId('exercise-summary')).toContainText(/\d of 5 cases pass\./);
  const failed = exercise.locator('[data-testid="exercise-case"][data-passed="false"]').first();
  await expect(failed).toContainText('✗ Failed');
  await expect(failed).toContainText('worst cell:');
  await expect(failed.getByRole('figure', { name: /max \|error\| over the head dimension/ })).toBeVisible();
  await expect(failed.getByRole('figure', { name: /attention weights, .*: yours/ })).toBeVisible();
  await expect(exercise.getByTestId('exercise-state')).toHaveText('Not passed yet');

  await typeInto(exercise, 'export const vars = { cap: 1.0 };\nexport function logitsTransform(logit: number, idx: Idx): number { return logit *; }');
  await expect(exercise.getByTestId('exercise-diagnostics')).toContainText('Line 2, column');
  await expect(exercise.locator('.squiggly-error').first()).toBeAttached();
});

test('hints open one at a time, Show solution and Reset ask first, and the hints are remembered', async ({ page }) => {
  await page.goto(LESSON);
  await allCellsRan(page);
  let exercise = await openExercise(page, SOFT_CAP);

  await exercise.getByRole('button', { name: 'Show hint 1 of 3' }).click();
  await expect(exercise.locator('.hints li')).toHaveCount(1);
  await expect(exercise.locator('.hints li')).toContainText('Math.tanh');
  await exercise.getByRole('button', { name: 'Show hint 2 of 3' }).click();
  await expect(exercise.locator('.hints li')).toHaveCount(2);

  await exercise.getByRole('button', { name: 'Show solution' }).click();
  const dialog = exercise.getByRole('dialog', { name: 'Show the solution?' });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  await expect(exercise.locator('.view-lines')).toContainText('As written, the cap changes nothing');

  await exercise.getByRole('button', { name: 'Show solution' }).click();
  await dialog.getByRole('button', { name: 'Show the solution' }).click();
  await expect(exercise.locator('.view-lines')).toContainText('vars.cap * Math.tanh(logit / vars.cap)');

  await page.reload();
  await allCellsRan(page);
  exercise = await openExercise(page, SOFT_CAP);
  await expect(exercise.locator('.hints li')).toHaveCount(2);
  await expect(exercise.locator('.view-lines')).toContainText('vars.cap * Math.tanh');

  await exercise.getByRole('button', { name: 'Reset' }).click();
  await exercise.getByRole('dialog', { name: 'Reset to the start code?' }).getByRole('button', { name: 'Reset my code' }).click();
  await expect(exercise.locator('.view-lines')).toContainText('As written, the cap changes nothing');
  await expect(exercise.locator('.hints li')).toHaveCount(0);
});

test('progress exports to a file and imports back; a foreign file is refused with a reason', async ({ page }, testInfo) => {
  await page.goto(LESSON);
  await allCellsRan(page);
  const exercise = await openExercise(page, SOFT_CAP);
  await typeInto(exercise, 'export const vars = { cap: 7.0 };');
  // Past the autosave delay.
  await expect.poll(() => page.evaluate(() => localStorage.getItem('attention-lab:progress') ?? '')).toContain('cap: 7.0');

  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export progress' }).click();
  const file = testInfo.outputPath('progress.json');
  await (await download).saveAs(file);
  const exported = JSON.parse(readFileSync(file, 'utf8'));
  expect(exported.format).toBe('attention-lab-progress');
  expect(exported.exercises[SOFT_CAP].code).toBe('export const vars = { cap: 7.0 };');

  const input = page.getByLabel('Progress file to import');
  await input.setInputFiles({ name: 'notes.json', mimeType: 'application/json', buffer: Buffer.from('{"hello": 1}') });
  await expect(page.getByRole('alert').filter({ hasText: 'notes.json was not imported' })).toContainText('not an Attention Lab progress file');

  exported.exercises[SOFT_CAP].code = 'export const vars = { cap: 9.0 };';
  await input.setInputFiles({ name: 'progress.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(exported)) });
  await expect(page.getByTestId('progress-message')).toHaveText('Imported the progress of 1 exercise from progress.json.');
  const reloaded = await openExercise(page, SOFT_CAP);
  await expect(reloaded.locator('.view-lines')).toContainText('cap: 9.0');
});

const LESSON_2 = '/lessons/02-sparse-attention';
const FILL_BSR = '02-sparse-attention/02-fill-bsr';
const FIXED = '02-sparse-attention/01-fixed-pattern';
const FILL_BSR_SOLUTION = 'export const indptr = [0, 1, 3, 5, 5];\nexport const indices = [0, 0, 1, 0, 1];\n';

test('lesson 2: filling the BSR layout by typing passes every case, and the code and "passed" survive a reload', async ({ page }) => {
  await page.goto(LESSON_2);
  await allCellsRan(page);
  let exercise = await openExercise(page, FILL_BSR);
  // The start stores no block: Check names the first wrong block row.
  await check(exercise);
  await expect(exercise.getByTestId('exercise-summary')).toContainText(/\d of 5 cases pass\./);
  await expect(exercise.locator('[data-testid="exercise-case"][data-passed="false"]').first()).toContainText('Block row 0 (queries 0–3) should store 1 block');

  await typeInto(exercise, FILL_BSR_SOLUTION);
  await check(exercise);
  await expect(exercise.getByTestId('exercise-summary')).toContainText('All 5 cases pass.');
  await expect(exercise.getByTestId('exercise-state')).toHaveText('Passed');

  await page.reload();
  await allCellsRan(page);
  exercise = await openExercise(page, FILL_BSR);
  await expect(exercise.getByTestId('exercise-state')).toHaveText('Passed');
  await expect(exercise.locator('.view-lines')).toContainText('indptr = [0, 1, 3, 5, 5]');
});

test('lesson 2: a prediction written as an expression is marked on its line; answers are read, never run', async ({ page }) => {
  await page.goto(LESSON_2);
  await allCellsRan(page);
  const exercise = await openExercise(page, FIXED);
  await typeInto(exercise, 'export function logitsMask(idx: Idx): boolean { return idx.kv <= idx.qo; }\nexport const nonEmptyBlocks = 20 + 7;\nexport const fullBlocks = 7;');
  await expect(exercise.getByTestId('exercise-diagnostics')).toContainText('Line 2, column');
  await expect(exercise.getByTestId('exercise-diagnostics')).toContainText('it is read, not run');
});

/**
 * An answers exercise worked the way a learner would: a wrong answer first (its summary and first
 * failed case checked), then the right one, which must pass every case. Returns the exercise.
 */
async function wrongThenRight(page: Page, id: string, wrong: { code: string; summary: string; failed: string }, right: { code: string; cases: number }): Promise<Locator> {
  await page.goto(`/lessons/${id.split('/')[0]}`);
  await allCellsRan(page);
  const exercise = await openExercise(page, id);
  await typeInto(exercise, wrong.code);
  await check(exercise);
  await expect(exercise.getByTestId('exercise-summary')).toContainText(wrong.summary);
  await expect(exercise.locator('[data-testid="exercise-case"][data-passed="false"]').first()).toContainText(wrong.failed);
  await typeInto(exercise, right.code);
  await check(exercise);
  await expect(exercise.getByTestId('exercise-summary')).toContainText(`All ${right.cases} cases pass.`);
  return exercise;
}

test('lesson 3: a chunk that splits three requests fails only "one merge"; the answer runs its plan on the GPU and passes', async ({ page }) => {
  const exercise = await wrongThenRight(
    page,
    '03-load-balancing/01-cut-and-place',
    { code: 'export const naiveMakespan = 3074;\nexport const chunk = 512;\nexport const makespan = 1542;', summary: '4 of 5 cases pass.', failed: 'chunk 512 splits 3 requests' },
    { code: 'export const naiveMakespan = 3074;\nexport const chunk = 1536;\nexport const makespan = 1540;', cases: 5 },
  );
  // The plan the learner chose ran on the decode kernel (SwiftShader's WebGPU here), merge included.
  await expect(exercise.locator('[data-testid="exercise-case"]').last()).toContainText("Your plan's 6 items and 1 merge, run by the decode kernel on your GPU, equal attention without any split.");
});

test('lesson 4: a full last page written as 0 is named, the engine refuses the table; the right table passes through paged attention', async ({ page }) => {
  const table = (last: string) => `export const kvIndptr = [0, 2, 5, 6];\nexport const kvIndices = [6, 1, 3, 0, 7, 4];\nexport const kvLastPageLen = [${last}];`;
  const exercise = await wrongThenRight(
    page,
    '04-paged-kv/01-page-table',
    { code: table('1, 0, 1'), summary: '2 of 4 cases pass.', failed: 'Request 1 has 12 tokens: its last page holds 4, not 0' },
    { code: table('1, 4, 1'), cases: 4 },
  );
  await expect(exercise.locator('[data-testid="exercise-case"]').last()).toContainText('Paged attention through your page table equals attention over the keys stored contiguously.');
});

test('lesson 5: a token on the wrong branch is named; the drawn tree passes through tree attention on the GPU', async ({ page }) => {
  await wrongThenRight(
    page,
    '05-speculative-decoding/01-tree-parents',
    { code: 'export const parents = [0, 0, 1, 1, 1, 3];', summary: '2 of 4 cases pass.', failed: 'token 5 (" barked") should continue token 2 (" dog")' },
    { code: 'export const parents = [0, 0, 1, 1, 2, 3];', cases: 4 },
  );
});

test('lesson 6: the homework runs in a worker; a loop that never ends is stopped, the page stays usable, and Sarathi-Serve passes', async ({ page }) => {
  const exercise = await wrongThenRight(
    page,
    '06-batch-scheduling/01-stall-free-batching',
    { code: 'export function schedule(state) { while (true) {} }', summary: '0 of 5 cases pass.', failed: 'your code ran for more than 10 s and was stopped (a loop that never ends?)' },
    {
      // Monaco closes a `{` by itself: the function is typed on one line.
      code: [
        'export function schedule(state) { const decodes = state.running.filter((r) => r.prefilled === r.promptLen).map((r) => r.id);',
        ' let room = state.tokenBudget - decodes.length; let running = state.running.length; const prefill = [];',
        ' for (const r of [...state.running, ...state.waiting]) { const waits = r.prefilled === undefined; const left = r.promptLen - (r.prefilled ?? 0);',
        ' if (room <= 0 || (waits && running >= state.maxRunning)) break; if (left === 0) continue; if (waits) running++;',
        ' const tokens = Math.min(left, room); prefill.push({ id: r.id, tokens }); room -= tokens; }',
        ' return { prefill, decodes }; }',
      ].join(''),
      cases: 5,
    },
  );
  await expect(exercise.locator('[data-testid="exercise-case"]').last()).toContainText('Equal to Sarathi-Serve: TTFT p50');
});

test('lesson 6: a prefill-first schedule is shown stalling, with both schedules drawn', async ({ page }) => {
  await page.goto('/lessons/06-batch-scheduling');
  await allCellsRan(page);
  const exercise = await openExercise(page, '06-batch-scheduling/01-stall-free-batching');
  // The start is prefill-first.
  await check(exercise);
  await expect(exercise.getByTestId('exercise-summary')).toContainText('1 of 5 cases pass.');
  const stalls = exercise.locator('[data-testid="exercise-case"][data-passed="false"]').first();
  await expect(stalls).toContainText('Iteration 1 (at 15.5 ms) did not decode request 0, whose prompt was done');
  await expect(stalls.locator('figure.heatmap figcaption', { hasText: 'your schedule: the first 64 iterations' })).toBeVisible();
  await expect(stalls.locator('figure.heatmap figcaption', { hasText: 'Sarathi-Serve: the first 64 iterations' })).toBeVisible();
});

test('lesson 7: counting keys only is named as the slip; the right counts pass and the decode batch reports its bandwidth', async ({ page }) => {
  const counts = (bytes: number) => `export const kvBytes = ${bytes};\nexport const prefillFlops = 10750001152;\nexport const ttftMs = 250;\nexport const tpotMs = 30;`;
  const exercise = await wrongThenRight(
    page,
    '07-evaluation/01-count-the-work',
    { code: counts(24576000), summary: '3 of 5 cases pass.', failed: 'that is the keys alone (or keys and values at 2 bytes a number; these are fp32); a decode reads the values too.' },
    { code: counts(49152000), cases: 5 },
  );
  await expect(exercise.locator('[data-testid="exercise-case"]').last()).toContainText(/The decode step took [\d.]+ ms \(GPU time on .*\): [\d.]+ GB\/s of keys and values\./);
});

test('lesson 8: the 64-row traffic written for 128 rows is named; the right counts pass and the prefill reports its rate', async ({ page }) => {
  const counts = (bytes128: number) => `export const tileBytes = 32768;\nexport const bytes64 = 16777216;\nexport const bytes128 = ${bytes128};\nexport const intensity128 = 64;`;
  const exercise = await wrongThenRight(
    page,
    '08-memory-movement/01-tile-traffic',
    { code: counts(16777216), summary: '4 of 5 cases pass.', failed: 'that is the traffic at 64 rows; with twice the rows there are half the workgroups.' },
    { code: counts(8388608), cases: 5 },
  );
  await expect(exercise.locator('[data-testid="exercise-case"]').last()).toContainText(/The prefill took [\d.]+ ms \(GPU time on .*\): with 64-row tiles, [\d.]+ GB\/s of keys and values from global memory/);
});

test('code typed less than 300 ms before the tab crashes is still there when the lesson is opened again', async ({ page, context }) => {
  await page.goto(LESSON_2);
  await allCellsRan(page);
  const exercise = await openExercise(page, FILL_BSR);
  await typeInto(exercise, 'export const indptr = [0, 1, 2, 3, 4];\nexport const indices = [0, 0, 0, 0];');
  // Crash the renderer at once, well inside the 300 ms debounce: no pagehide, no visibilitychange, no timer runs.
  const crashed = page.waitForEvent('crash');
  const cdp = await context.newCDPSession(page);
  void cdp.send('Page.crash').catch(() => {});
  await crashed;

  const reopened = await context.newPage();
  await reopened.goto(LESSON_2);
  await allCellsRan(reopened);
  const restored = await openExercise(reopened, FILL_BSR);
  await expect(restored.locator('.view-lines')).toContainText('indptr = [0, 1, 2, 3, 4]');
});

test('a share link shows its code and applies it only when accepted; declining keeps the learner\'s code', async ({ page, context }) => {
  await page.goto(LESSON_2);
  await allCellsRan(page);
  const exercise = await openExercise(page, FILL_BSR);
  await typeInto(exercise, FILL_BSR_SOLUTION);
  await exercise.getByRole('button', { name: 'Copy share link' }).click();
  const link = await exercise.getByTestId('share-link').inputValue();
  expect(link).toMatch(/\/lessons\/02-sparse-attention#share=[A-Za-z0-9+\-$]+$/);

  // Another learner, with their own code in that exercise.
  const other = await context.browser()!.newContext();
  const theirs = await other.newPage();
  await theirs.goto(LESSON_2);
  await allCellsRan(theirs);
  let mine = await openExercise(theirs, FILL_BSR);
  await typeInto(mine, 'export const indptr = [0, 0, 0, 0, 0];\nexport const indices = [];\n// mine');
  await expect.poll(() => theirs.evaluate(() => localStorage.getItem('attention-lab:progress') ?? '')).toContain('// mine');

  await theirs.goto(link);
  const banner = theirs.getByTestId('shared-link');
  await expect(banner.getByRole('heading', { name: 'Code from a shared link' })).toBeVisible();
  await expect(banner.locator('pre')).toContainText('indptr = [0, 1, 3, 5, 5]');
  mine = await openExercise(theirs, FILL_BSR);
  // Nothing from the link is in the editor before the learner says yes.
  await expect(mine.locator('.view-lines')).toContainText('// mine');
  await banner.getByRole('button', { name: 'Keep my code' }).click();
  await expect(banner).toBeHidden();
  await expect(theirs).toHaveURL(/\/lessons\/02-sparse-attention$/);
  await expect(mine.locator('.view-lines')).toContainText('// mine');

  await theirs.goto(link);
  await theirs.getByTestId('shared-link').getByRole('button', { name: 'Use this code and run it' }).click();
  mine = await openExercise(theirs, FILL_BSR);
  await expect(mine.locator('.view-lines')).toContainText('indptr = [0, 1, 3, 5, 5]');
  await expect.poll(() => theirs.evaluate(() => localStorage.getItem('attention-lab:progress') ?? '')).toContain('[0, 1, 3, 5, 5]');

  // A damaged link says so and changes nothing.
  await theirs.goto(`${LESSON_2}#share=garbage`);
  await expect(theirs.getByRole('alert').filter({ hasText: 'share link is damaged' })).toContainText('Your own code is unchanged.');
  await allCellsRan(theirs);
  await other.close();
});

test('an editor cell\'s share link carries its code and the lesson\'s settings, run once accepted', async ({ page }) => {
  await page.goto(LESSON_2);
  await allCellsRan(page);
  await page.locator('select[name="pattern"]').selectOption('strided');
  await allCellsRan(page);
  const editorCell = page.locator('section.cell.editor').first();
  await editorCell.getByRole('button', { name: 'Copy share link' }).click();
  const link = await editorCell.getByTestId('share-link').inputValue();

  await page.goto('/lessons');
  await page.goto(link);
  const banner = page.getByTestId('shared-link');
  await expect(banner).toContainText('Editor: Mask (logitsMask)');
  await expect(banner).toContainText('pattern = strided');
  await allCellsRan(page);
  // Before accepting, the lesson runs its own default pattern.
  await expect(page.getByRole('figure', { name: /^token dropping \(H2O-like\) mask/ })).toBeVisible();
  await banner.getByRole('button', { name: 'Use this code and run it' }).click();
  await expect(page.getByRole('figure', { name: /^strided mask/ })).toBeVisible({ timeout: 60_000 });
  await allCellsRan(page);
});
