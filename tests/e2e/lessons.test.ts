import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Locator, type Page } from '@playwright/test';

const LESSON = '/lessons/01-jit-variants';

/**
 * Waits until every cell has finished (SwiftShader compiles a pipeline in seconds). Tests also
 * call this before they end: leaving a page while a pipeline compiles can stall the next test.
 */
async function allCellsRan(page: Page) {
  const status = page.getByTestId('notebook-status');
  await expect(status).toHaveText(/^All \d+ cells ran\.$/, { timeout: 90_000 });
  await expect(status).toHaveAttribute('data-busy', '0');
  await expect(status).toHaveAttribute('data-errors', '0');
}

/** Opens pages as a browser without WebGPU would (no `navigator.gpu`). */
async function withoutWebGpu(page: Page) {
  await page.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true });
  });
}

/** The cell whose source contains `text` (or matches it). */
function cell(page: Page, text: string | RegExp): Locator {
  return page.locator('section.cell', { has: page.locator('pre.source', { hasText: text }) });
}

/**
 * Replaces an editor's text the way a learner would: select all in Monaco, then type. Monaco
 * auto-closes brackets as text is typed, so a `{` must be closed on the same line (where typing
 * the `}` overtypes the automatic one).
 */
async function typeInto(editor: Locator, text: string) {
  await editor.locator('.view-lines').click();
  await editor.page().keyboard.press('Control+A');
  await editor.page().keyboard.insertText(text);
}

test('the lesson index lists lesson 1 and the nav links to it', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Lessons' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Lessons');
  await page.getByRole('link', { name: 'The JIT compiler and attention variants' }).click();
  await expect(page).toHaveURL(/\/lessons\/01-jit-variants$/);
  await allCellsRan(page);
});

test('lesson 1 runs every cell on the GPU, within tolerance of the reference', async ({ page }) => {
  await page.goto(LESSON);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('The JIT compiler and attention variants');
  const toc = page.getByRole('navigation', { name: 'On this page' });
  await expect(toc.getByRole('link', { name: 'Why variants exist' })).toHaveAttribute('href', '#why-variants-exist');
  await expect(page.locator('#why-variants-exist')).toBeVisible();
  // Math is typeset at build time: KaTeX's HTML is in the prerendered page.
  await expect(page.locator('.katex').first()).toBeVisible();
  await expect(page.getByTestId('status')).toContainText('Running on your GPU', { timeout: 30_000 });
  await allCellsRan(page);

  await expect(page.getByRole('group', { name: 'Generated WGSL hooks' })).toContainText('tanh');
  const run = cell(page, 'kernel: result.kernel');
  await expect(run).toContainText('backend: "webgpu"');
  await expect(run).toContainText('cap: 0.5');
  await expect(run).toContainText('withinTolerance: true');
  const sigmoid = cell(page, 'firstLineOfWgsl');
  await expect(sigmoid).toContainText('const USE_SOFTMAX: bool = false;');
  await expect(sigmoid).toContainText('withinTolerance: true');
  await expect(page.getByRole('figure', { name: /Softmax weights, request 0, head 0 \(cap 0\.5\)/ })).toBeVisible();
  await expectAccessible(page);
});

test('a lost GPU device: the lesson says so, starts a new one and runs its cells there again', async ({ page }) => {
  // Every device the page gets, with the command buffers submitted to it.
  await page.addInitScript(() => {
    const devices: { device: GPUDevice; submits: number }[] = [];
    (window as unknown as { testDevices: typeof devices }).testDevices = devices;
    const requestDevice = GPUAdapter.prototype.requestDevice;
    GPUAdapter.prototype.requestDevice = async function (this: GPUAdapter, descriptor?: GPUDeviceDescriptor) {
      const device = await requestDevice.call(this, descriptor);
      const entry = { device, submits: 0 };
      devices.push(entry);
      const submit = device.queue.submit.bind(device.queue);
      device.queue.submit = (buffers: Iterable<GPUCommandBuffer>) => ((entry.submits += 1), submit(buffers));
      return device;
    };
  });
  const devices = () => page.evaluate(() => (window as unknown as { testDevices: { submits: number }[] }).testDevices.map((d) => d.submits));
  await page.goto(LESSON);
  await allCellsRan(page);
  expect(await devices()).toHaveLength(1);

  await page.evaluate(() => (window as unknown as { testDevices: { device: GPUDevice }[] }).testDevices[0].device.destroy());
  await expect(page.getByTestId('device-lost')).toContainText('The GPU device was lost', { timeout: 30_000 });
  await expect(page.getByTestId('device-lost')).toContainText('carries on with a new one');
  await allCellsRan(page);
  const [, submits] = await devices();
  expect(submits).toBeGreaterThan(0);
  const run = cell(page, 'kernel: result.kernel');
  await expect(run).toContainText('backend: "webgpu"');
  await expect(run).toContainText('withinTolerance: true');
  await expect(cell(page, 'firstLineOfWgsl')).toContainText('withinTolerance: true');
});

test('moving the cap slider re-runs the cells that read it, and only those', async ({ page }) => {
  await page.goto(LESSON);
  await allCellsRan(page);
  const compileStatus = cell(page, 'compileVariant(variantSource)').getByTestId('cell-status');
  const compiledBefore = await compileStatus.textContent();

  const slider = page.locator('input[name="cap"]');
  await slider.focus();
  await page.keyboard.press('ArrowLeft');
  await expect(cell(page, 'kernel: result.kernel')).toContainText('cap: 0.45', { timeout: 60_000 });
  await expect(page.getByRole('figure', { name: /\(cap 0\.45\)/ })).toBeVisible();
  await allCellsRan(page);
  await expect(cell(page, 'kernel: result.kernel')).toContainText('withinTolerance: true');
  // The compile cell does not read `cap`: it did not run again (its "ran in" time is unchanged).
  await expect(compileStatus).toHaveText(compiledBefore ?? '');
});

test('editing the variant: an error shows at its line, readers wait, a fix runs everything again', async ({ page }) => {
  await page.goto(LESSON);
  await allCellsRan(page);
  const editor = page.getByRole('group', { name: 'Variant source (soft-cap)' });
  await expect(editor.locator('.monaco-editor')).toBeVisible();

  await typeInto(editor, 'export const vars = { cap: 1.0 };\nexport function logitsTransform(logit: number, idx: Idx): number { return logit *; }');
  await expect(page.getByTestId('editor-diagnostics')).toContainText('Line 2, column');
  const compile = cell(page, 'compileVariant(variantSource)');
  await expect(compile.getByRole('alert')).toContainText(/^Line \d+: Error: line 2, column \d+: Syntax error/);
  await expect(cell(page, 'kernel: result.kernel')).toContainText('Not run: it reads');
  const status = page.getByTestId('notebook-status');
  await expect(status).toHaveText(/^1 cell failed, \d+ waiting on them\.$/);
  // The sigmoid half of the lesson does not read this editor: it is still done.
  await expect(cell(page, 'firstLineOfWgsl')).toHaveAttribute('data-status', 'done');

  const windowed = 'export function logitsMask(idx: Idx): boolean { return idx.kv <= idx.qo && idx.qo - idx.kv < 4; }';
  await typeInto(editor, windowed);
  await allCellsRan(page);
  await expect(page.getByRole('group', { name: 'Generated WGSL hooks' })).toContainText('fn logits_mask');
  const run = cell(page, 'kernel: result.kernel');
  await expect(run).toContainText('cap: "the variant has no cap"');
  await expect(run).toContainText('withinTolerance: true');

  // The edit is kept in this browser: a reload shows it and runs it; Reset brings the lesson's code back.
  await expect(page.getByTestId('editor-saved')).toHaveText('Your edit is saved in this browser.');
  await page.reload();
  await allCellsRan(page);
  await expect(editor.locator('.view-lines')).toContainText('logitsMask');
  await expect(page.getByRole('group', { name: 'Generated WGSL hooks' })).toContainText('fn logits_mask');
  await expect(cell(page, 'kernel: result.kernel')).toContainText('cap: "the variant has no cap"');
  await page.getByRole('button', { name: "Reset Variant source (soft-cap) to the lesson's code" }).click();
  await allCellsRan(page);
  await expect(page.getByRole('group', { name: 'Generated WGSL hooks' })).toContainText('tanh');
  await expect(page.getByTestId('editor-saved')).toHaveCount(0);
  await page.reload();
  await allCellsRan(page);
  await expect(cell(page, 'kernel: result.kernel')).toContainText('cap: 0.5');
});

test('without WebGPU the lesson says so and runs every cell on the CPU reference', async ({ page }) => {
  await withoutWebGpu(page);
  await page.goto(LESSON);
  await expect(page.getByTestId('no-webgpu-banner')).toContainText('No WebGPU here');
  await allCellsRan(page);
  const run = cell(page, 'kernel: result.kernel');
  await expect(run).toContainText('backend: "cpu"');
  await expect(run).toContainText('maxError: 0');
});

test('without WebGPU lesson 2 times dense against block-sparse on the CPU engine', async ({ page }) => {
  await withoutWebGpu(page);
  await page.goto('/lessons/02-sparse-attention');
  await expect(page.getByTestId('no-webgpu-banner')).toContainText('No WebGPU here');
  await allCellsRan(page);
  // The CPU engine runs bsrAttention for `bsr`, so it skips blocks too.
  const speed = page.getByRole('table', { name: /^Dense vs block-sparse on CPU reference .*, 128 tokens, blocks of 64 × 64$/ });
  await expect(speed.getByRole('row')).toHaveCount(6);
});

const LESSON_2 = '/lessons/02-sparse-attention';

test('lesson 2 runs every cell: the mask, its BSR layout, block sizes, and density against speed', async ({ page }) => {
  await page.goto(LESSON_2);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Sparse attention and block-sparse matrices');
  await expect(page.getByRole('navigation', { name: 'On this page' }).getByRole('link', { name: 'Block-sparse rows' })).toHaveAttribute('href', '#block-sparse-rows');
  await allCellsRan(page);

  // The default pattern (token dropping) in 16 × 16 blocks: the picture names its counts.
  const grid = page.getByRole('figure', { name: /token dropping \(H2O-like\) mask, 128 tokens, blocks of 16 × 16: 8 × 8 blocks of 16 × 16, \d+ full, \d+ partial, \d+ empty/ });
  await expect(grid).toBeVisible();
  await expect(page.getByRole('table', { name: /work per block size/ }).getByRole('row')).toHaveCount(8);
  const speed = page.getByRole('table', { name: /^Dense vs block-sparse on .*, 128 tokens, blocks of 64 × 64$/ });
  await expect(speed.getByRole('row')).toHaveCount(6);
  // Skipping empty blocks changes no output: the last column (max |error|) is tiny on every row.
  for (const cell of await speed.locator('tbody tr td:last-child').allTextContents()) expect(Number(cell)).toBeLessThan(1e-4);

  // Picking another pattern re-runs the layout: a sliding window of 24 in 16 × 16 blocks has no empty block row.
  await page.locator('select[name="pattern"]').selectOption('sliding window');
  await expect(page.getByRole('figure', { name: /^sliding window mask, 128 tokens/ })).toBeVisible({ timeout: 60_000 });
  await allCellsRan(page);
  await expect(cell(page, 'fractionKept')).toContainText('pattern: "sliding window"');
  await expectAccessible(page);
});

const LESSON_3 = '/lessons/03-load-balancing';

test('lesson 3 runs every cell: plans drawn, states merged exactly, both plans and cascade timed on the GPU', async ({ page }) => {
  await page.goto(LESSON_3);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Load-balanced scheduling and composable formats');
  await allCellsRan(page);

  // The skewed preset on 32 slots: the 8192-key request (8192 + 2 + 128 units) alone sets the naive makespan.
  await expect(page.getByRole('img', { name: 'Naive plan: skewed: 1 request with 8192 keys + 31 with 256, 32 workgroups: 32 items on 32 workgroups, predicted makespan 8322' })).toBeVisible();
  await expect(page.getByRole('img', { name: /^Balanced plan: skewed: .*, 32 workgroups, chunks of \d+: \d+ items on 32 workgroups/ })).toBeVisible();

  // Three parts, four merges and the whole: every merge equals attention over all keys; no part alone does.
  const merges = page.getByRole('table', { name: /^One query, 1000 keys in 3 parts/ });
  await expect(merges.locator('tbody tr')).toHaveCount(8);
  const errors = (await merges.locator('tbody tr td:last-child').allTextContents()).map(Number);
  for (const error of errors.slice(0, 3)) expect(error).toBeGreaterThan(1e-3);
  for (const error of errors.slice(3)) expect(error).toBeLessThan(1e-6);

  const plans = page.getByRole('table', { name: /^Naive and balanced plans on 32 workgroups \(no plan can predict more than [\d.]+× here\)$/ });
  const speedups = (await plans.locator('tbody tr td:last-child').allTextContents()).map(Number);
  expect(speedups[0]).toBe(1);
  expect(speedups[1]).toBeGreaterThan(2);

  // On the GPU both plans ran: the balanced one split the long request into more items than naive's.
  const timed = page.getByRole('table', { name: /^Decode plans timed on .*: skewed/ });
  await expect(timed.locator('tbody tr')).toHaveCount(2);
  const items = await timed.locator('tbody tr td:nth-child(3)').allTextContents();
  expect(Number(items[1])).toBeGreaterThan(Number(items[0]));
  const cascade = page.getByRole('table', { name: /^Shared prefix of 128 keys, 4 requests, on .* outputs differ by at most (.*)\)$/ });
  await expect(cascade.locator('tbody tr')).toHaveCount(2);
  await expect(cascade.locator('tbody tr').nth(1)).toContainText('cascade');
  const caption = await cascade.locator('caption').textContent();
  expect(Number(caption!.match(/at most ([^)]+)\)/)![1])).toBeLessThan(1e-5);

  // The uniform batch: the bound is 1 and plan() leaves every request whole.
  await page.locator('select[name="batch"]').selectOption('uniform: 32 requests with 1024 keys');
  await expect(page.getByRole('table', { name: 'Naive and balanced plans on 32 workgroups (no plan can predict more than 1.00× here)' })).toBeVisible({ timeout: 60_000 });
  await allCellsRan(page);
  await expect(page.getByRole('table', { name: /^Naive and balanced plans/ }).locator('tbody tr').nth(1)).toContainText('whole request');
  await expectAccessible(page);
});

test('without WebGPU lesson 3 draws the plans, says the CPU runs none, and runs cascade on the CPU reference', async ({ page }) => {
  await withoutWebGpu(page);
  await page.goto(LESSON_3);
  await expect(page.getByTestId('no-webgpu-banner')).toContainText('No WebGPU here');
  await allCellsRan(page);
  await expect(page.getByRole('img', { name: /^Naive plan: skewed/ })).toBeVisible();
  await expect(cell(page, 'measuredSpeedup')).toContainText('plans run on WebGPU only');
  await expect(page.getByRole('table', { name: /^Shared prefix of 128 keys, 4 requests, on CPU reference/ }).locator('tbody tr')).toHaveCount(2);
});

const LESSON_4 = '/lessons/04-paged-kv';

test('lesson 4 runs every cell: cache sizes, page layouts, the page table, paged attention equal to contiguous, sharing and the radix cache', async ({ page }) => {
  await page.goto(LESSON_4);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Paged KV caches and prefix sharing');
  await allCellsRan(page);

  await expect(page.getByRole('table', { name: 'KV cache per token, fp16' })).toContainText('Llama-3-8B (GQA: 8 KV heads)128');
  const layouts = page.getByRole('table', { name: /^Token slots for the final caches of 64 ShareGPT-like requests/ });
  const used = (await layouts.locator('tbody tr td:last-child').allTextContents()).map((t) => Number(t.replace('%', '')));
  // Contiguous reservation wastes most slots; smaller pages waste less, and pages of 1 waste none.
  expect(used[0]).toBeLessThan(50);
  for (let i = 1; i < used.length; i++) expect(used[i]).toBeGreaterThan(used[i - 1]);
  expect(used.at(-1)).toBe(100);

  // Request A of 6 tokens plus 5 generated, B of 9, C of 4, in pages of 4: A's third page comes after B's and C's.
  const table = cell(page, /^\s*pageTable\s*$/);
  await expect(table).toContainText('kvIndptr: "0, 3, 6, 7"');
  await expect(table).toContainText('kvIndices: "0, 1, 6, 2, 3, 4, 5"');
  await expect(table).toContainText('kvLastPageLen: "3, 1, 4"');
  await page.getByRole('slider', { name: 'request A tokens' }).fill('8');
  await expect(table).toContainText('kvLastPageLen: "1, 1, 4"');

  // Every page size gives the contiguous result.
  const paged = page.getByRole('table', { name: /^Decode of 4 requests .* contiguous and paged$/ });
  await expect(paged.locator('tbody tr')).toHaveCount(5);
  for (const error of await paged.locator('tbody tr td:last-child').allTextContents()) expect(Number(error)).toBeLessThan(1e-5);

  const sharing = cell(page, /^\s*sharingStats\s*$/);
  await expect(sharing).toContainText('pagesInUse: 94');
  await expect(sharing).toContainText('copiesOnWrite: "34→93"');
  const radix = page.getByRole('table', { name: /^60 requests on 3 system prompts/ });
  const hits = (await radix.locator('tbody tr td:nth-child(2)').allTextContents()).map(Number);
  expect(hits[0]).toBe(0);
  expect(hits.at(-1)).toBeGreaterThan(0.75);
  // The embedded labs step: the block manager's first event allocates A.
  await page.getByRole('button', { name: 'Step 1 of 8' }).click();
  await expect(page.getByTestId('page-stats')).toContainText('3 of 24 pages in use');
  await expectAccessible(page);
});

test('without WebGPU lesson 4 runs paged attention on the CPU reference, every layout equal to contiguous', async ({ page }) => {
  await withoutWebGpu(page);
  await page.goto(LESSON_4);
  await expect(page.getByTestId('no-webgpu-banner')).toContainText('No WebGPU here');
  await allCellsRan(page);
  const paged = page.getByRole('table', { name: /^Decode of 4 requests .* on CPU reference.*: contiguous and paged$/ });
  for (const error of await paged.locator('tbody tr td:last-child').allTextContents()) expect(Number(error)).toBeLessThan(1e-5);
});

const LESSON_5 = '/lessons/05-speculative-decoding';

test('lesson 5 runs every cell: expected tokens per pass, n-gram speculation, the tree mask, tree attention equal to each branch', async ({ page }) => {
  await page.goto(LESSON_5);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Speculative decoding and token trees');
  await allCellsRan(page);
  // α = 0.8, k = 4: (1 − 0.8⁵) / 0.2 = 3.36.
  await expect(page.getByRole('table', { name: 'Expected tokens per target pass, chains of k draft tokens' }).locator('tbody tr').nth(3)).toContainText('3.36');
  const chain = cell(page, /^\s*chainReport\s*$/);
  await expect(chain).toContainText('tokensPerStep');
  const perStep = Number((await chain.textContent())!.match(/tokensPerStep: ([\d.]+)/)![1]);
  expect(perStep).toBeGreaterThan(1);
  expect(perStep).toBeLessThanOrEqual(5);
  await expect(page.getByRole('figure', { name: /^Tree attention mask/ })).toBeVisible();
  const branches = page.getByRole('table', { name: /^Tree attention on .* against causal attention along each branch$/ });
  await expect(branches.locator('tbody tr')).toHaveCount(6);
  for (const error of await branches.locator('tbody tr td:last-child').allTextContents()) expect(Number(error)).toBeLessThan(1e-5);
  // A longer chain re-runs the speculation only.
  await page.getByRole('slider', { name: 'k (draft tokens per step)' }).fill('1');
  await expect(chain).not.toContainText(`tokensPerStep: ${perStep}`);
  await allCellsRan(page);
  await expectAccessible(page);
});

const LESSON_6 = '/lessons/06-batch-scheduling';

test('lesson 6 runs every cell: the iteration costs, two schedulers and their stalls, Sarathi-Serve by token budget, the embedded lab', async ({ page }) => {
  await page.goto(LESSON_6);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Batching prefill and decode, and chunked prefill');
  await allCellsRan(page);
  const costs = page.getByRole('table', { name: /^One iteration of Llama-3-8B-like .* by the model \(ms\)$/ });
  const ms = (await costs.locator('tbody tr td:nth-child(2)').allTextContents()).map(Number);
  // 32 decodes cost little more than one; a whole 2048-token prompt, many times more; its last chunk more than its first.
  expect(ms[1]).toBeLessThan(1.5 * ms[0]);
  expect(ms[2]).toBeGreaterThan(5 * ms[1]);
  expect(ms[4]).toBeGreaterThan(ms[3]);
  const budgets = page.getByRole('table', { name: /latencies in ms by token budget$/ });
  await expect(budgets.locator('tbody tr')).toHaveCount(7);
  /** A column of the budget table, one number per row: prefill-first, then budgets 64 … 2048. */
  const column = async (n: number) => (await budgets.locator(`tbody tr td:nth-child(${n})`).allTextContents()).map(Number);
  const tbtP99 = await column(5);
  const ttftP50 = await column(2);
  // Chunking bounds the gaps: every budget up to 512 has a shorter p99 gap than prefill-first; a smaller budget, a longer TTFT.
  for (const gap of tbtP99.slice(1, 5)) expect(gap).toBeLessThan(tbtP99[0]);
  expect(ttftP50[1]).toBeGreaterThan(ttftP50[6]);
  await expect(page.getByRole('img', { name: /^Prefill-first, first 150 iterations: 150 iterations$/ })).toBeVisible();
  await expect(page.getByRole('heading', { level: 3, name: 'Batch schedulers' })).toBeVisible();
  // Other traffic re-runs the simulations.
  const before = await budgets.textContent();
  await page.getByRole('combobox', { name: 'traffic' }).selectOption('ShareGPT-like lengths');
  await expect(budgets).not.toHaveText(before!);
  await allCellsRan(page);
  await expectAccessible(page);
});

const LESSON_7 = '/lessons/07-evaluation';

test('lesson 7 runs every cell: intensities, utilization on this GPU against its streaming read, request lengths, latency and goodput by load', async ({ page }) => {
  await page.goto(LESSON_7);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Evaluating attention and serving');
  await allCellsRan(page);
  const intensity = (await page.getByRole('table', { name: 'Arithmetic intensity in fp32' }).locator('tbody tr td:nth-child(2)').allTextContents()).map(Number);
  // Decode: 2·hq/(hkv·4) FLOPs per byte, 0.5 without GQA and 2 with a group of 4; prefill's grows with its length.
  expect(intensity.slice(0, 2)).toEqual([0.5, 2]);
  for (let i = 3; i < intensity.length; i++) expect(intensity[i]).toBeGreaterThan(intensity[i - 1]);
  const utilization = page.getByRole('table', { name: /^Utilization on .*swiftshader.*, GPU timestamps/i });
  const row = async (n: number) => (await utilization.locator('tbody tr').nth(n).locator('td').allTextContents()).join(' | ');
  expect(await row(0)).toMatch(/^streaming read \| a large buffer, read once \|  \| [\d.]+ GB\/s \| $/);
  expect(await row(1)).toMatch(/^decode, 4 × 512 keys \| 2\.1 MB of keys and values \| [\d.]+ \| [\d.]+ GB\/s \| \d+%$/);
  expect(await row(2)).toMatch(/^causal prefill, 1 × 256 tokens \| 0\.07 GFLOP \| [\d.]+ \| [\d.]+ GFLOPS \| $/);
  await expect(page.getByRole('img', { name: 'Request lengths, cumulative (2000 requests each)' })).toBeVisible();
  const load = page.getByRole('table', { name: /^ShareGPT-like, 150 requests by arrival rate/ });
  await expect(load.locator('tbody tr')).toHaveCount(12);
  // Past the knee, p99 TTFT grows: Sarathi-Serve at 24 requests/s against 2.
  const ttftP99 = (await load.locator('tbody tr td:nth-child(4)').allTextContents()).map(Number);
  expect(ttftP99[10]).toBeGreaterThan(3 * ttftP99[0]);
  // A tighter TTFT target lowers goodput, without re-running the simulations' inputs.
  const goodput = async () => (await load.locator('tbody tr td:nth-child(9)').allTextContents()).map(Number);
  await expect(page.getByRole('table', { name: /^ShareGPT-like: goodput as DistServe reports it/ }).locator('tbody tr')).toHaveCount(2);
  const before = await goodput();
  await page.getByRole('slider', { name: 'TTFT target (ms)' }).fill('100');
  await expect.poll(async () => (await goodput())[10]).toBeLessThan(before[10]);
  await allCellsRan(page);
  await expectAccessible(page);
});

test('lesson 7 without WebGPU: the CPU reference is timed, and the streaming read is said to be not measured', async ({ page }) => {
  await withoutWebGpu(page);
  await page.goto(LESSON_7);
  await expect(page.getByTestId('no-webgpu-banner')).toContainText('No WebGPU here');
  await allCellsRan(page);
  const utilization = page.getByRole('table', { name: /^Utilization on CPU reference.*, wall clock, medians of 3 runs$/ });
  await expect(utilization.locator('tbody tr').first().locator('td').nth(1)).toHaveText('not measured (needs WebGPU with timestamps)');
  await expect(utilization.locator('tbody tr').nth(1).locator('td').nth(4)).toHaveText('');
});

const LESSON_8 = '/lessons/08-memory-movement';

test('lesson 8 runs every cell: tile traffic, the kernel\'s workgroup memory against this GPU, its staging WGSL, prefetch measured', async ({ page }) => {
  await page.goto(LESSON_8);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('From global memory to workgroup memory');
  await allCellsRan(page);
  const traffic = page.getByRole('table', { name: /^A prefill of 2048 tokens over 2048 keys/ });
  const times = (await traffic.locator('tbody tr td:nth-child(3)').allTextContents()).map(Number);
  expect(times).toEqual([2048, 128, 32, 16]);
  const footprint = page.getByRole('table', { name: 'Workgroup memory of the prefill kernel, head size 128' });
  // SwiftShader offers 32 KiB: the 64-row tile (24.3 KiB) fits, the 128-row one (44.5 KiB) does not.
  await expect(footprint.locator('tbody tr').nth(0).locator('td').last()).toHaveText('yes (32 KiB)');
  await expect(footprint.locator('tbody tr').nth(1).locator('td').last()).toHaveText('no (32 KiB)');
  await expect(page.getByRole('group', { name: /^load_stage/ })).toContainText('fn load_stage');
  await expect(page.getByRole('group', { name: 'The stage loop (from the generated WGSL)' })).toContainText('workgroupBarrier();');
  const measured = page.getByRole('table', { name: /^Causal prefill of 1 × 128 tokens/ });
  const rows = measured.locator('tbody tr');
  await expect(rows).toHaveCount(4);
  for (const n of [0, 1]) await expect(rows.nth(n).locator('td').last()).toHaveText('yes');
  for (const n of [2, 3]) await expect(rows.nth(n).locator('td').nth(2)).toHaveText('does not fit this GPU');
  // A longer prompt re-runs the traffic table only.
  await page.getByRole('slider', { name: 'prompt tokens' }).fill('4096');
  await expect(page.getByRole('table', { name: /^A prefill of 4096 tokens/ })).toBeVisible();
  await allCellsRan(page);
  await expectAccessible(page);
});

/** Runs axe on the page as it is now; serious and critical violations are listed with their elements. */
async function seriousViolations(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join('; ')}`);
}

test('accessibility: the lessons index has no serious or critical axe violations', async ({ page }) => {
  await page.goto('/lessons');
  await expect(page.getByRole('link', { name: 'Sparse attention and block-sparse matrices' })).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
});

/**
 * No serious or critical axe violations on a lesson whose cells have all run, with its exercises
 * (and their Monaco editors) on the page. Each lesson's run-every-cell test ends with it, so the
 * scan costs no second run of the lesson's cells.
 */
async function expectAccessible(page: Page) {
  await allCellsRan(page);
  await expect(page.locator('section[data-exercise][data-restored="true"]').first()).toBeVisible();
  await expect(page.locator('section[data-exercise] .monaco-editor').first()).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
}
