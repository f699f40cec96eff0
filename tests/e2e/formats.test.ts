import { expect, test, type Locator, type Page } from '@playwright/test';
import { bsrFromMask, bsrStats } from '#kernels/formats/bsr.ts';
import { labPlans, planCeiling } from '#playground/plan-presets.ts';

/** The rows of a two-column table as a map from header to cell text. */
async function tableValues(table: Locator): Promise<Record<string, string>> {
  const rows = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.querySelector('th')!.textContent!.trim(), tr.querySelector('td')!.textContent!.trim()]));
  return Object.fromEntries(rows);
}

/** Range inputs cannot be filled: set the value and fire the input event Svelte listens to. */
async function slide(page: Page, label: string, value: number) {
  await page.getByLabel(label, { exact: true }).evaluate((input: HTMLInputElement, v) => {
    input.value = String(v);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }, value);
}

/** The built-in sliding window: causal, the last `window` keys (square request, so pos = qo). */
const slidingWindow = (window: number) => (qo: number, kv: number) => kv <= qo && qo - kv < window;

test('the BSR view counts blocks as the library does, and names a block size that does not fit', async ({ page }) => {
  await page.goto('/formats');
  const lab = page.getByRole('region', { name: 'Block-sparse (BSR) layout of a mask' });
  await expect(lab.getByLabel('Mask', { exact: true })).toHaveValue('sliding-window');
  const stats = lab.getByTestId('bsr-stats');
  const expectStats = async (length: number, R: number, C: number) => {
    const expected = bsrStats(bsrFromMask(slidingWindow(64), { rows: length, cols: length, R, C }));
    await expect(stats.locator('caption')).toHaveText(`${expected.blockRows} × ${expected.blockCols} blocks of ${R} × ${C}`);
    const shown = await tableValues(stats);
    expect(shown['full blocks']).toBe(String(expected.blocks.full));
    expect(shown['partial blocks']).toBe(String(expected.blocks.partial));
    expect(shown['empty blocks']).toBe(String(expected.blocks.empty));
    expect(shown['density']).toBe(`${(100 * expected.density).toFixed(1)}%`);
    expect(shown['scores computed']).toBe(String(expected.work.scores));
    expect(shown['dense scores']).toBe(String(length * length));
    return expected;
  };
  const at16 = await expectStats(128, 16, 16);
  expect(at16.blocks.full + at16.blocks.partial + at16.blocks.empty).toBe(64);
  await expect(lab.getByRole('figure', { name: /^Sliding window \(Mistral, Gemma local layers\) mask with its BSR blocks: 8 × 8 blocks of 16 × 16/ })).toBeVisible();

  await lab.getByLabel('Block rows R (queries)').fill('8');
  await lab.getByLabel('Block columns C (keys)').fill('32');
  await expectStats(128, 8, 32);
  // 8 × 8 blocks split each 16 × 16 block in four, so they follow the mask at least as tightly: fewer scores computed.
  await lab.getByLabel('Block columns C (keys)').fill('8');
  const at8 = await expectStats(128, 8, 8);
  expect(at8.work.scores).toBeLessThan(at16.work.scores);

  await lab.getByLabel('Block rows R (queries)').fill('3');
  await expect(lab.getByTestId('bsr-error')).toContainText('R: 3 does not divide the 128 query rows');
  await expect(lab.getByTestId('bsr-error')).toContainText('Block sizes that divide 128: 1, 2, 4, 8, 16, 32, 64, 128.');
  await expect(stats).toHaveCount(0);

  // The window stays 64 keys wide while the sequence grows, so the share of nonzero blocks falls.
  await lab.getByLabel('Block rows R (queries)').fill('16');
  await lab.getByLabel('Block columns C (keys)').fill('16');
  await slide(page, 'Sequence length', 256);
  const long = await expectStats(256, 16, 16);
  expect(long.density).toBeLessThan(at16.density);

  // Another mask with its own vars: the sink slider exists, and counts still add up.
  await lab.getByLabel('Mask', { exact: true }).selectOption('attention-sink');
  await expect(lab.getByLabel('sink', { exact: true })).toHaveValue('4');
  const shown = await tableValues(stats);
  expect(Number(shown['full blocks']) + Number(shown['partial blocks']) + Number(shown['empty blocks'])).toBe(256);
});

test('the plan view draws the balanced and naive plans, and the balanced makespan is never longer', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Formats' }).click();
  const lab = page.getByRole('region', { name: 'Load-balanced plans' });
  const summary = lab.getByTestId('plan-summary');
  const makespan = async (name: 'balanced' | 'naive') => Number(await summary.locator('tr', { has: page.locator(`th:text-is("${name}")`) }).locator('td').nth(2).innerText());

  // The skewed batch at the defaults (4 heads, 32 workgroups), as the library plans it.
  const skewed = { qoLens: Array<number>(32).fill(1), kvLens: [8192, ...Array<number>(31).fill(256)], numQoHeads: 4 };
  const expected = labPlans(skewed, 32);
  expect(await makespan('balanced')).toBe(expected.balanced.predicted);
  expect(await makespan('naive')).toBe(expected.naive.predicted);
  await expect(lab.getByTestId('plan-ratio')).toContainText(`${(expected.naive.predicted / expected.balanced.predicted).toFixed(2)}×`);
  // The ceiling: no plan beats the batch's work spread evenly, so the predicted gain stays under it.
  await expect(lab.getByTestId('plan-ceiling')).toContainText(`${planCeiling(expected.naive).toFixed(2)}×`);
  expect(expected.naive.predicted / expected.balanced.predicted).toBeLessThanOrEqual(planCeiling(expected.naive) + 1e-9);
  const balancedChart = lab.getByRole('img', { name: /^Balanced plan: \d+ items on 32 workgroups/ });
  const items = Number(await summary.locator('tr', { has: page.locator('th:text-is("balanced")') }).locator('td').first().innerText());
  await expect(balancedChart.locator('rect.item')).toHaveCount(items);
  await expect(balancedChart.locator('rect.item title').first()).toContainText(/^request \d+, head \d, query 0, keys \d+–\d+: cost \d+/);

  for (const preset of ['sharegpt', 'uniform', 'skewed']) {
    await lab.getByLabel('Decode batch').selectOption(preset);
    for (const workgroups of [8, 64, 132]) {
      await slide(page, 'Workgroups', workgroups);
      await expect(lab.getByRole('img', { name: new RegExp(`^Naive plan: \\d+ items on ${workgroups} workgroups`) })).toBeVisible();
      expect(await makespan('balanced')).toBeLessThanOrEqual(await makespan('naive'));
    }
  }
});

test('the plan view measures both plans on this GPU: medians, their ratio, and the predicted ratio of the same plans', async ({ page }) => {
  await page.goto('/formats#plans');
  const lab = page.getByRole('region', { name: 'Load-balanced plans' });
  await slide(page, 'Query heads', 2);
  await lab.getByRole('button', { name: 'Measure on this GPU' }).click();
  const measured = lab.getByTestId('plan-measured');
  await expect(measured).toBeVisible({ timeout: 90_000 });
  await expect(measured.locator('caption')).toContainText(/^Measured on .+: the decode kernel running each plan, median of 3 rounds/);
  const shown = await tableValues(measured);
  expect(Number(shown.balanced)).toBeGreaterThan(0);
  expect(Number(shown.naive)).toBeGreaterThan(0);
  // One KV head per query head: the plans that ran are the ones drawn, so the predicted ratios agree.
  const skewed = { qoLens: Array<number>(32).fill(1), kvLens: [8192, ...Array<number>(31).fill(256)], numQoHeads: 2 };
  const drawn = labPlans(skewed, 32);
  const predicted = (drawn.naive.predicted / drawn.balanced.predicted).toFixed(2);
  await expect(lab.getByTestId('plan-ratio')).toContainText(`${predicted}×`);
  await expect(lab.getByTestId('plan-measured-ratio')).toContainText(`predicted for the plans that ran: ${predicted}×`);
  const ratio = (Number(shown.naive) / Number(shown.balanced)).toFixed(2);
  await expect(lab.getByTestId('plan-measured-ratio')).toContainText(new RegExp(`^Measured speed-up: (${ratio}|${(Number(ratio) - 0.01).toFixed(2)}|${(Number(ratio) + 0.01).toFixed(2)})×`));
});

test('the playground links to the formats views', async ({ page }) => {
  await page.goto('/playground');
  await expect(page.getByTestId('backend')).toHaveText('webgpu', { timeout: 60_000 });
  const views = page.getByRole('navigation', { name: 'How the kernels skip and balance work' });
  await views.getByRole('link', { name: 'Load-balanced plans' }).click();
  await expect(page).toHaveURL(/\/formats#plans$/);
  await expect(page.getByRole('heading', { name: 'Load-balanced plans', exact: true })).toBeInViewport();
});

test('the composable-formats view stores the shared prefix once, in large blocks, beside small suffix blocks', async ({ page }) => {
  await page.goto('/formats#composable');
  const view = page.getByRole('region', { name: 'Composable formats for a shared prefix' });
  const picture = view.getByRole('img', { name: /^Composable formats: a shared prefix of 64 keys in 32 × 32 blocks and 4 suffixes in 4 × 4 blocks/ });
  // 32 queries × 64 prefix keys in 32 × 32 blocks: 2 blocks, all full.
  await expect(picture.locator('rect title', { hasText: 'shared prefix matrix' })).toHaveCount(2);
  // Suffixes of 16, 32, 8, 24 keys, 8 queries each, causal in 4 × 4 blocks: a block row's last two blocks
  // straddle or pass the diagonal, so the nonzero blocks are kvLen/4 − 1 per block row (the first row) and kvLen/4 (the second).
  const suffixBlocks = [16, 32, 8, 24].reduce((sum, kvLen) => sum + (kvLen / 4 - 1) + kvLen / 4, 0);
  await expect(picture.locator('rect title', { hasText: "suffix matrix" })).toHaveCount(suffixBlocks);
  await expect(view.getByTestId('composable-stats')).toContainText('read once for all 32 queries instead of once per request (256 key reads)');
});
