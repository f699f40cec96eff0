import AxeBuilder from '@axe-core/playwright';
import { expect, test } from '@playwright/test';

function ms(text: string): number {
  const [value, unit] = text.trim().split(' ');
  return Number(value) * (unit === 's' ? 1000 : 1);
}

test('the serving page compares schedulers and draws their batch timelines', async ({ page }) => {
  await page.goto('/playground');
  // Leave once the playground's first run is done: a WebGPU pipeline abandoned mid-compile can stall
  // SwiftShader's GPU process, and with it the next test's page, for minutes.
  await expect(page.getByTestId('backend')).toHaveText('webgpu', { timeout: 60_000 });
  await page.getByRole('link', { name: 'the serving simulators' }).click();
  await expect(page.getByRole('heading', { name: 'Serving simulators' })).toBeVisible();
  const rows = page.getByTestId('scheduler-summary').locator('tbody tr');
  await expect(rows).toHaveCount(3);
  const tbtP99 = async (name: string) => ms(await rows.filter({ hasText: name }).locator('td').nth(3).innerText());
  // On uniform 512–2048 requests, chunked prefill keeps the worst gaps between tokens shorter.
  expect(await tbtP99('Sarathi-Serve')).toBeLessThan(await tbtP99('Prefill-first'));
  const sarathi = page.getByRole('img', { name: /^Sarathi-Serve \(chunked prefill\): \d+ iterations/ });
  await expect(sarathi).toBeVisible();
  // The timelines step and play: Restart draws one iteration, Next one more, Play runs on.
  const drawn = async () => Number((await sarathi.getAttribute('aria-label'))!.match(/(\d+) iterations/)![1]);
  const playback = page.getByRole('group', { name: 'Timeline playback' });
  await playback.getByRole('button', { name: 'Restart timelines' }).click();
  await expect.poll(drawn).toBe(1);
  await playback.getByRole('button', { name: 'Next iteration' }).click();
  await expect.poll(drawn).toBe(2);
  await playback.getByRole('button', { name: 'Play timelines' }).click();
  await expect.poll(drawn).toBeGreaterThan(10);
  await playback.getByRole('button', { name: 'Pause timelines' }).click();
  // Observable Plot draws one line per scheduler (its mark's group, stroke width 2).
  await expect(page.getByRole('img', { name: 'Time between tokens, cumulative' }).locator('g[stroke-width="2"] path')).toHaveCount(3);
  // No serious or critical axe violations (Plot's labelled <g> elements were one, inside the chart image).
  const { violations } = await new AxeBuilder({ page }).analyze();
  expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join('; ')}`)).toEqual([]);
  await page.getByLabel('Workload').selectOption('sharegpt');
  await expect(rows.first().locator('td').first()).not.toHaveText('');
});

test('the playground links to each serving view', async ({ page }) => {
  await page.goto('/playground');
  await expect(page.getByTestId('backend')).toHaveText('webgpu', { timeout: 60_000 });
  const views = page.getByRole('navigation', { name: 'How serving systems use these kernels' });
  await expect(views.getByRole('link')).toHaveText(['Paged KV cache', 'Radix prefix cache', 'Batch schedulers', 'Speculative decoding']);
  await views.getByRole('link', { name: 'Speculative decoding' }).click();
  await expect(page).toHaveURL(/\/serving#speculative-decoding$/);
  await expect(page.getByRole('heading', { name: 'Speculative decoding with real (tiny) models' })).toBeInViewport();
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
  await expect(page.getByTestId('spec-step')).toContainText(/\(\d of 4 accepted/);
  await expect(page.getByRole('figure', { name: /^Tree attention mask of the drafted chain/ })).toBeVisible();
  await page.getByRole('button', { name: '100 steps' }).click();
  await expect(page.getByTestId('spec-stats')).toContainText(/^101 steps, \d+ tokens: [\d.]+ tokens per step\s+measured, 4\.0 draft tokens verified per step/);
  // The chain's mask through the real kernel too (and no pipeline is left compiling for the next test).
  await expect(page.getByTestId('tree-attention-check')).toContainText(/scores all 4 drafted tokens[^]*\(within 0\.00001\)/, { timeout: 60_000 });
});

test('tree speculation draws the drafted tree beside its attention mask, and runs tree attention on the GPU', async ({ page }) => {
  await page.goto('/serving');
  const view = page.getByRole('region', { name: 'Speculative decoding with real (tiny) models' });
  await view.getByRole('radio', { name: 'tree' }).check();
  await view.getByRole('button', { name: 'Step', exact: true }).click();
  const summary = await view.getByTestId('spec-step').innerText();
  const [, accepted, nodes] = summary.match(/\((\d+) of (\d+) accepted/)!.map(Number);
  // Depth 4 with 3, 2, 2, 1 draws per node and at most 16 nodes: at least one node per depth.
  expect(nodes).toBeGreaterThanOrEqual(4);
  expect(nodes).toBeLessThanOrEqual(16);
  const tree = view.getByRole('img', { name: `Drafted token tree: ${nodes} nodes, ${accepted} accepted` });
  await expect(tree).toBeVisible();
  // Every drafted token is a node, plus the one the target emitted itself; the accepted ones are highlighted.
  await expect(tree.locator('g.node')).toHaveCount(nodes + 1);
  await expect(tree.locator('g.node.accepted')).toHaveCount(accepted);
  await expect(tree.locator('g.node.emitted')).toHaveCount(1);
  const mask = view.getByRole('figure', { name: /^Tree attention mask of the drafted tree/ });
  await expect(mask).toBeVisible();
  await expect(mask.locator('canvas')).toHaveText(new RegExp(`: ${nodes} drafts by ${4 + nodes} keys$`));
  // The real kernel on that mask, through the tree-mask variant, against the CPU reference.
  await expect(view.getByTestId('tree-attention-check')).toContainText(new RegExp(`scores all ${nodes} drafted tokens[^]*max \\|O − CPU reference\\| = [\\d.e+-]+ \\(within 0\\.00001\\)`), {
    timeout: 60_000,
  });
  // A cleared draws box counts as 1 draw rather than stopping every step.
  await view.getByRole('spinbutton', { name: 'depth 1' }).fill('');
  await view.getByRole('button', { name: 'Step', exact: true }).click();
  await expect(view.getByTestId('spec-stats')).toContainText(/^\s*1 steps,/);
  await view.getByRole('spinbutton', { name: 'depth 1' }).fill('3');
  await view.getByRole('button', { name: 'Compare chain and tree' }).click();
  const rows = view.getByTestId('spec-comparison').locator('tbody tr');
  await expect(rows).toHaveCount(2);
  await expect(rows.first().locator('th')).toHaveText('chain [1, 1, 1, 1]');
  await expect(rows.nth(1).locator('th')).toHaveText('tree [3, 2, 2, 1]');
});

test('calibration times the kernels on this GPU and re-runs the simulations with the fitted model', async ({ page }) => {
  await page.goto('/serving');
  const view = page.getByRole('region', { name: 'Batch schedulers' });
  await expect(view.getByTestId('kernel-table-source')).toContainText('NVIDIA H200');
  const before = await view.getByTestId('scheduler-summary').locator('tbody tr').first().locator('td').nth(3).innerText();
  await view.getByRole('button', { name: 'Calibrate on this GPU' }).click();
  await expect(view.getByTestId('calibration-progress')).toContainText(/of 6 shapes/);
  await expect(view.getByRole('radio', { name: /fitted to kernels measured on this GPU/ })).toBeChecked({ timeout: 90_000 });
  await expect(view.getByTestId('kernel-table-source')).toContainText(/median of 5 runs/);
  await expect(view.getByTestId('kernel-table').locator('tbody tr')).toHaveCount(6);
  const duration = '(?:0|[\\d.]+ (?:ms|µs|ns|ps))';
  await expect(view.getByTestId('fitted-cost')).toContainText(new RegExp(`one layer, fitted\\s*${duration} per call \\+ ${duration} per query \\+ ${duration} per key a decode reads`));
  await expect(view.getByTestId('scheduler-summary').locator('tbody tr').first().locator('td').nth(3)).not.toHaveText(before);
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
