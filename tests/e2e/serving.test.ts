import { expect, test } from '@playwright/test';

function ms(text: string): number {
  const [value, unit] = text.trim().split(' ');
  return Number(value) * (unit === 's' ? 1000 : 1);
}

test('the serving page compares schedulers and draws their batch timelines', async ({ page }) => {
  await page.goto('/playground');
  await page.getByRole('link', { name: 'the serving simulators' }).click();
  await expect(page.getByRole('heading', { name: 'Serving simulators' })).toBeVisible();
  const rows = page.getByTestId('scheduler-summary').locator('tbody tr');
  await expect(rows).toHaveCount(3);
  const tbtP99 = async (name: string) => ms(await rows.filter({ hasText: name }).locator('td').nth(3).innerText());
  // On uniform 512–2048 requests, chunked prefill keeps the worst gaps between tokens shorter.
  expect(await tbtP99('Sarathi-Serve')).toBeLessThan(await tbtP99('Prefill-first'));
  await expect(page.getByRole('img', { name: /^Sarathi-Serve \(chunked prefill\): \d+ iterations/ })).toBeVisible();
  await expect(page.getByRole('img', { name: 'Time between tokens, cumulative' }).locator('path')).toHaveCount(3);
  await page.getByLabel('Workload').selectOption('sharegpt');
  await expect(rows.first().locator('td').first()).not.toHaveText('');
});

test('the block manager view steps through sharing, copy-on-write and a refused allocation', async ({ page }) => {
  await page.goto('/serving');
  const stepButton = page.getByRole('button', { name: /^Step \d+ of 8$/ });
  for (let i = 0; i < 4; i++) await stepButton.click();
  await expect(page.getByTestId('page-stats')).toContainText('copies on write: 2→5');
  await expect(page.getByTestId('page-grid').locator('li.shared')).toHaveCount(2);
  await stepButton.click();
  await stepButton.click();
  await expect(page.getByText(/refused: needs 20 pages, 17 free/)).toBeVisible();
  await stepButton.click();
  await stepButton.click();
  await expect(page.getByRole('row', { name: /^C / }).locator('td').nth(1)).toHaveText('4/4');
  await expect(page.getByRole('row', { name: /^C / }).locator('td').nth(2)).toHaveText('40');
  await page.getByRole('button', { name: 'Reset the pages' }).click();
  await expect(page.getByTestId('page-stats')).toContainText('0 of 24 pages in use');
});

test('the speculative decoding view drafts, verifies and counts tokens per step', async ({ page }) => {
  await page.goto('/serving');
  await page.getByRole('button', { name: 'Step', exact: true }).click();
  await expect(page.getByTestId('spec-step')).toContainText(/of 4 accepted/);
  await expect(page.getByRole('figure', { name: /^Tree attention mask of the drafted chain/ })).toBeVisible();
  await page.getByRole('button', { name: '100 steps' }).click();
  await expect(page.getByTestId('spec-stats')).toContainText(/^101 steps, \d+ tokens: [\d.]+ tokens per step\s+measured; acceptance/);
});

test('the radix cache view shows hits, splits and evictions as requests arrive', async ({ page }) => {
  await page.goto('/serving');
  const next = page.getByRole('button', { name: /^Next request/ });
  await next.click();
  await next.click();
  await expect(page.getByText(/good night”: 11 of 12 tokens cached/)).toBeVisible();
  await expect(page.getByTestId('radix-tree').locator('li')).toHaveText(['└ You are a helpful assistant . Translate to French : good', '└ morning', '└ night']);
  for (let i = 0; i < 6; i++) await next.click();
  await expect(page.getByTestId('radix-stats')).toContainText(/\d+ evictions/);
  await expect(next).toBeDisabled();
});

test('views play as well as step: the radix cache view plays through its requests', async ({ page }) => {
  await page.goto('/serving');
  const radix = page.getByRole('region', { name: 'Radix prefix cache' });
  await radix.getByRole('button', { name: 'Play' }).click();
  await expect(radix.getByRole('button', { name: 'Pause' })).toBeVisible();
  await expect(radix.getByRole('button', { name: /^Next request \(8 of 8\)/ })).toBeDisabled({ timeout: 15_000 });
  await expect(radix.getByRole('listitem').filter({ hasText: 'tokens cached' })).toHaveCount(8);
});
