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

async function checkFinished(exercise: Locator) {
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
  await exercise.getByRole('button', { name: 'Check' }).click();
  await checkFinished(exercise);
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
  await exercise.getByRole('button', { name: 'Check' }).click();
  await checkFinished(exercise);
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
