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
  await page.getByLabel('Workload').selectOption('sharegpt');
  await expect(rows.first().locator('td').first()).not.toHaveText('');
});
