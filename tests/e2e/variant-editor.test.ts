import { expect, test, type Page } from '@playwright/test';

/** Replaces the variant source the way a learner would: select all in Monaco, then type. */
async function typeVariant(page: Page, source: string) {
  await page.getByTestId('editor-typescript').locator('.view-lines').click();
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(source);
}

const FLASH_SIGMOID = `export const useSoftmax = false;
export const vars = { scale: 1.0, bias: -1.0 };
export function logitsTransform(logit: number, idx: Idx): number {
  return 1 / (1 + Math.exp(-(logit * vars.scale + vars.bias)));
}
`;

test('a FlashSigmoid typed into Monaco compiles, runs on the GPU and matches the reference', async ({ page }) => {
  await page.goto('/playground');
  await expect(page.getByTestId('status')).toContainText('Running on your GPU', { timeout: 30_000 });
  // Wait for the page's first run (the default variant), so the result checked below is FlashSigmoid's.
  await expect(page.getByTestId('backend')).toHaveText('webgpu', { timeout: 60_000 });
  await expect(page.getByTestId('editor-typescript').locator('.monaco-editor')).toBeVisible();
  await typeVariant(page, FLASH_SIGMOID);
  await expect(page.getByTestId('diagnostics')).toBeEmpty();
  await expect(page.getByTestId('editor-wgsl')).toContainText('const USE_SOFTMAX: bool = false;');
  await expect(page.getByLabel(/bias =/)).toBeVisible();
  await expect(page.getByRole('button', { name: 'Running…' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Run attention' })).toBeEnabled({ timeout: 60_000 });
  await expect(page.getByTestId('max-error')).toContainText('within 0.00001');
  const error = Number(await page.getByTestId('max-error').getAttribute('data-value'));
  expect(error).toBeLessThanOrEqual(1e-5);
  await expect(page.getByTestId('backend')).toHaveText('webgpu');
});

test('a syntax error gets a marker on the line where it is', async ({ page }) => {
  await page.goto('/playground');
  await expect(page.getByTestId('editor-typescript').locator('.monaco-editor')).toBeVisible();
  await typeVariant(page, 'export function logitsTransform(logit: number, idx: Idx): number {\n  const s = logit *;\n  return s;\n}\n');
  await expect(page.getByTestId('diagnostics')).toContainText('Line 2, column');
  await expect(page.getByTestId('diagnostics')).toContainText('Syntax error');
  // Monaco draws the marker as a squiggly decoration on line 2.
  const squiggle = page.getByTestId('editor-typescript').locator('.squiggly-error');
  await expect(squiggle.first()).toBeVisible();
  const lineTop = await page.getByTestId('editor-typescript').locator('.view-line').nth(1).boundingBox();
  const squiggleBox = await squiggle.first().boundingBox();
  expect(Math.abs((squiggleBox?.y ?? 0) - (lineTop?.y ?? -100))).toBeLessThan(4);
});

test('picking a built-in shows its WGSL and var sliders; moving a slider re-runs from the pipeline cache', async ({ page }) => {
  await page.goto('/playground');
  await expect(page.getByTestId('status')).toContainText('Running on your GPU', { timeout: 30_000 });
  // The page runs its first batch on load (seconds on SwiftShader): wait for it, so the results
  // checked below are the soft-cap run's and not that one's.
  await expect(page.getByTestId('backend')).toHaveText('webgpu', { timeout: 60_000 });
  await page.getByLabel('Start from').selectOption('soft-cap');
  await expect(page.getByTestId('editor-wgsl')).toContainText('tanh');
  // Picking it runs it, compiling its pipeline: wait for that run to end.
  await expect(page.getByRole('button', { name: 'Running…' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Run attention' })).toBeEnabled({ timeout: 60_000 });
  await expect(page.getByTestId('max-error')).toContainText('within 0.00001');
  await expect(page.getByTestId('pipeline-time')).toContainText('created in');
  const slider = page.locator('input[name="var-cap"]');
  await slider.focus();
  await page.keyboard.press('ArrowLeft');
  await expect(page.getByTestId('pipeline-time')).toContainText('cached (no compilation)');
  await expect(page.getByTestId('max-error')).toContainText('within 0.00001');
});

test('the editor completes idx fields from the variant typings', async ({ page }) => {
  await page.goto('/playground');
  await expect(page.getByTestId('editor-typescript').locator('.monaco-editor')).toBeVisible();
  await typeVariant(page, 'export function logitsMask(idx: Idx): boolean {\n  return idx.');
  await page.keyboard.press('Control+Space');
  const suggestions = page.getByTestId('editor-typescript').locator('.suggest-widget');
  await expect(suggestions).toContainText('kvLen', { timeout: 20_000 });
  await expect(suggestions).toContainText('qoHead');
});
