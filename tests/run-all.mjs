// `npm test`: every tier in order, then one summary of totals. A tier that fails does not stop
// the others, so one run shows everything that is broken; the exit code is non-zero if any failed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { ensureChromium } from './ensure-chromium.mjs';
import { gpuTestEnv } from './gpu-env.mjs';

const results = 'tests/.results';
rmSync(results, { recursive: true, force: true });
mkdirSync(results, { recursive: true });
ensureChromium();

const env = { ...process.env, ...gpuTestEnv() };
const tiers = [
  { name: 'types', command: ['npm', 'run', '--silent', 'check'], count: () => undefined },
  { name: 'unit', command: vitest('unit'), count: () => vitestCounts('unit') },
  { name: 'gpu', command: vitest('gpu'), count: () => vitestCounts('gpu') },
  { name: 'build', command: ['npx', 'vite', 'build', '--logLevel', 'warn'], count: () => undefined },
  { name: 'e2e', command: ['npx', 'playwright', 'test'], count: playwrightCounts },
];

function vitest(project) {
  return ['npx', 'vitest', 'run', '--project', project, '--reporter=default', '--reporter=json', `--outputFile.json=${results}/${project}.json`];
}

function vitestCounts(project) {
  const file = `${results}/${project}.json`;
  if (!existsSync(file)) return undefined;
  const report = JSON.parse(readFileSync(file, 'utf8'));
  return { passed: report.numPassedTests, failed: report.numFailedTests, skipped: report.numPendingTests + report.numTodoTests };
}

function playwrightCounts() {
  const file = `${results}/e2e.json`;
  if (!existsSync(file)) return undefined;
  const { stats } = JSON.parse(readFileSync(file, 'utf8'));
  return { passed: stats.expected, failed: stats.unexpected + stats.flaky, skipped: stats.skipped };
}

const summary = [];
for (const tier of tiers) {
  console.log(`\n━━ ${tier.name}: ${tier.command.join(' ')}`);
  const started = Date.now();
  const { status } = spawnSync(tier.command[0], tier.command.slice(1), { stdio: 'inherit', env });
  summary.push({ name: tier.name, ok: status === 0, seconds: (Date.now() - started) / 1000, counts: tier.count() });
}

console.log('\n━━ Summary');
const total = { passed: 0, failed: 0, skipped: 0 };
for (const { name, ok, seconds, counts } of summary) {
  const detail = counts ? `${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped` : ok ? 'ok' : 'failed';
  console.log(`${ok ? 'PASS' : 'FAIL'}  ${name.padEnd(6)} ${detail.padEnd(40)} ${seconds.toFixed(1)} s`);
  if (counts) for (const key of Object.keys(total)) total[key] += counts[key];
}
const failedTiers = summary.filter((tier) => !tier.ok).map((tier) => tier.name);
console.log(`Total: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped in ${summary.length} tiers` +
  (failedTiers.length ? `; failing tiers: ${failedTiers.join(', ')}` : '; all tiers passed'));
process.exit(failedTiers.length ? 1 : 0);
