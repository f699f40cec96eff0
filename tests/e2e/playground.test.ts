import { expect, test } from '@playwright/test';

/** The page's own tolerance for fp32 against the float64 reference (tests/gpu/tolerance.ts). */
const TOLERANCE = 1e-5;

test('runs attention on WebGPU (SwiftShader) and matches the CPU reference', async ({ page }) => {
  await page.goto('/playground');
  await expect(page.getByTestId('status')).toContainText('Running on your GPU', { timeout: 30_000 });
  await page.getByRole('button', { name: 'Decode, GQA 8:2' }).click();
  await page.getByRole('button', { name: 'Run attention' }).click();
  await expect(page.getByTestId('backend')).toHaveText('webgpu');
  await expect(page.getByTestId('kernel')).toContainText('decode');
  const error = Number(await page.getByTestId('max-error').getAttribute('data-value'));
  expect(error).toBeGreaterThanOrEqual(0);
  expect(error).toBeLessThanOrEqual(TOLERANCE);
  await expect(page.getByTestId('max-error')).toContainText(`within ${TOLERANCE}`);
  await expect(page.getByTestId('timing')).toContainText(/\d+\.\d{3} ms/);
  await expect(page.getByRole('figure', { name: /^Attention weights, request 0, head 0/ })).toBeVisible();
  await page.getByRole('button', { name: 'Median of 10 runs' }).click();
  await expect(page.getByTestId('median-timing')).toContainText(/median \d+\.\d{3} ms of 10 runs · [\d.]+ GB\/s/, { timeout: 60_000 });
  // Beside it, the same ratio the benchmarks report: bandwidth against this GPU's streaming read.
  await expect(page.getByTestId('bandwidth-ratio')).toContainText(/^\d+\.\d{2} of this GPU's streaming read \([\d.]+ GB\/s, measured here\)/, { timeout: 60_000 });
});

test('reports a bad shape in words and keeps the form usable', async ({ page }) => {
  await page.goto('/playground');
  await expect(page.getByTestId('status')).toContainText('Running on your GPU', { timeout: 30_000 });
  // The page runs its first batch on load (seconds on SwiftShader, compiling the kernels): until it
  // ends the button reads "Running…", so wait for its result before editing the shape.
  await expect(page.getByTestId('backend')).toHaveText('webgpu', { timeout: 60_000 });
  await page.getByLabel('KV lengths per request').fill('128');
  await expect(page.getByText('query lengths list 2 requests but KV lengths list 1')).toHaveAttribute('role', 'alert');
  await expect(page.getByRole('button', { name: 'Run attention' })).toBeDisabled();
  await page.getByLabel('KV lengths per request').fill('128, 96');
  await expect(page.getByRole('button', { name: 'Run attention' })).toBeEnabled();
});

test('without WebGPU it shows a banner and runs the CPU reference', async ({ page }) => {
  await page.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true });
  });
  await page.goto('/playground');
  await expect(page.getByTestId('no-webgpu-banner')).toContainText('No WebGPU here');
  await page.getByRole('button', { name: 'Run attention' }).click();
  await expect(page.getByTestId('backend')).toHaveText('cpu');
  await expect(page.getByTestId('max-error')).toHaveAttribute('data-value', '0');
  await expect(page.getByTestId('timing')).toContainText('CPU reference wall clock');
});

test('an edited variant is kept in this browser: a reload runs it, Reset brings the built-in back', async ({ page }) => {
  await page.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true });
  });
  await page.goto('/playground');
  await expect(page.getByTestId('backend')).toHaveText('cpu');
  const editor = page.getByRole('group', { name: 'Variant source' });
  await editor.locator('.view-lines').click();
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText('export function logitsTransform(logit: number, idx: Idx): number { return logit * 0.5; }');
  await expect(page.getByTestId('variant-saved')).toHaveText('Your edit is saved in this browser.');
  await expect(page.getByRole('group', { name: 'Generated WGSL' })).toContainText('fn logits_transform', { timeout: 10_000 });

  await page.reload();
  await expect(page.getByTestId('backend')).toHaveText('cpu');
  await expect(editor.locator('.view-lines')).toContainText('return logit * 0.5;');
  await expect(page.getByRole('group', { name: 'Generated WGSL' })).toContainText('fn logits_transform');
  await expect(page.getByTestId('variant-saved')).toBeVisible();
  await expect(page.getByTestId('max-error')).toHaveAttribute('data-value', '0');

  await page.getByRole('button', { name: 'Reset to the built-in source' }).click();
  await expect(editor.locator('.view-lines')).toContainText('Causal: each query sees the keys');
  await expect(page.getByTestId('variant-saved')).toHaveCount(0);
  await page.reload();
  await expect(editor.locator('.view-lines')).toContainText('Causal: each query sees the keys');
});

test('a share link carries the variant, its vars and the batch; it runs only once accepted, and a bad one changes nothing', async ({ page, context }) => {
  await page.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true });
  });
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.goto('/playground');
  await expect(page.getByTestId('backend')).toHaveText('cpu');
  await page.getByRole('combobox', { name: 'Start from' }).selectOption({ label: 'Logits soft-capping (Gemma 2, Grok)' });
  await page.getByLabel('KV lengths per request').fill('100, 50');
  await page.locator('input[name="var-cap"]').fill('12');
  await page.getByRole('button', { name: 'Copy share link' }).click();
  const link = await page.getByTestId('share-link').inputValue();
  expect(link).toMatch(/\/playground#share=/);

  // Another learner opens it: nothing of it runs until they accept.
  const other = await context.newPage();
  await other.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true });
  });
  await other.goto(link);
  const banner = other.getByTestId('shared-link');
  await expect(banner).toContainText('This link carries code for the playground. None of it has run.');
  await expect(banner).toContainText('kvLens = 100, 50');
  await expect(banner).toContainText('var-cap = 12');
  await expect(other.getByLabel('KV lengths per request')).toHaveValue('128, 96');
  await other.getByRole('button', { name: 'Use this code and run it' }).click();
  await expect(banner).toHaveCount(0);
  expect(other.url()).not.toContain('#share=');
  await expect(other.getByLabel('KV lengths per request')).toHaveValue('100, 50');
  await expect(other.getByRole('group', { name: 'Generated WGSL' })).toContainText('tanh');
  await expect(other.locator('input[name="var-cap"]')).toHaveValue('12');
  await expect(other.getByTestId('max-error')).toHaveAttribute('data-value', '0');

  // A damaged link is refused in words, and the page keeps what it had.
  await other.goto('/playground#share=garbage');
  const refusal = other.locator('p.banner.error[role="alert"]');
  await expect(refusal).toContainText('This share link is damaged');
  await expect(refusal).toContainText('Your own code and settings are unchanged.');
  await expect(other.getByLabel('KV lengths per request')).toHaveValue('100, 50');
  await expect(other.locator('input[name="var-cap"]')).toHaveValue('12');
});
