import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { createEngine } from '#kernels/index.ts';
import { check } from '../../lessons/06-batch-scheduling/exercises/01-stall-free-batching/check.ts';

const engine = await createEngine({ backend: 'cpu' });
const solution = readFileSync('lessons/06-batch-scheduling/exercises/01-stall-free-batching/solution.ts', 'utf8');

/** The solution with one piece replaced: a plausible wrong attempt. */
function attempt(from: string, to: string): string {
  expect(solution).toContain(from);
  return solution.replace(from, to);
}

/** Each case's verdict and sentence. */
async function grade(source: string) {
  const report = await check(source, engine);
  expect(report.diagnostics).toEqual([]);
  return Object.fromEntries(report.cases.map((c) => [c.name, `${c.passed ? 'pass' : 'FAIL'}: ${c.summary}`]));
}

describe('the Sarathi-Serve homework names what a wrong scheduler breaks', () => {
  test('shortest prompt first chunks within the budget, but breaks first come, first served', async () => {
    const cases = await grade(attempt('for (const w of state.waiting) {', 'for (const w of [...state.waiting].sort((a, b) => a.promptLen - b.promptLen)) {'));
    expect(cases['no decode stalls']).toMatch(/^pass/);
    expect(cases['within the token budget']).toMatch(/^pass/);
    expect(cases['the budget filled, first come first served']).toMatch(
      /^FAIL: On 80 ShareGPT-like requests: Iteration \d+ \(at [\d.]+ ms\) gave \d+ prompt tokens to request \d+ while request \d+, ahead of it in line, still had \d+ to go: prompt tokens should go first come, first served\.$/,
    );
  });

  test('one chunk per iteration leaves the budget unfilled', async () => {
    const cases = await grade(attempt('    room -= tokens;\n  }\n  let running', '    room = 0;\n  }\n  let running'));
    expect(cases['within the token budget']).toMatch(/^pass/);
    expect(cases['the budget filled, first come first served']).toMatch(/^FAIL: On a long prompt among decodes: Iteration \d+ .* used \d+ of its 512 tokens while request \d+ (still had prompt tokens to go|waited, with room in the KV cache): fill the budget with prompt chunks\.$/);
  });

  test('admitting past the KV limit is refused by the simulator, with the iteration', async () => {
    const cases = await grade(attempt('if (room <= 0 || running >= state.maxRunning) break;', 'if (room <= 0) break;'));
    expect(cases['no decode stalls']).toMatch(/^pass/);
    expect(cases['the KV cache full']).toMatch(
      /^FAIL: On the ShareGPT-like requests with room for 4 in the KV cache your scheduler failed: iteration \d+ \(at [\d.]+ ms\): the batch admits \d+ waiting requests? beside \d+ running, over the limit of 4 running at once \(maxRunning\)\.$/,
    );
  });

  test('a chunk counted without the decodes overflows the budget by the decodes', async () => {
    const cases = await grade(attempt('let room = state.tokenBudget - decodes.length;', 'let room = state.tokenBudget;'));
    expect(cases['no decode stalls']).toMatch(/^pass/);
    expect(cases['within the token budget']).toMatch(/^FAIL: On a long prompt among decodes: Iteration \d+ .* processed \d+ prompt tokens and \d+ decodes, \d+ tokens, over the budget of 512/);
    expect(cases["Sarathi-Serve's latencies"]).toMatch(/^FAIL: Your schedule is not Sarathi-Serve's: your /);
  });
});
