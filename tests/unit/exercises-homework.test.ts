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

  test('a request admitted with a chunk smaller than the room left is caught by the fill rule', async () => {
    const cases = await grade(attempt('    const tokens = Math.min(w.promptLen, room);\n', '    const tokens = Math.min(w.promptLen, room, 7);\n'));
    expect(cases['the budget filled, first come first served']).toMatch(/^FAIL: .*while request \d+ still had prompt tokens to go: fill the budget with prompt chunks\.$/);
  });

  test('a chunk counted without the decodes overflows the budget by the decodes', async () => {
    const cases = await grade(attempt('let room = state.tokenBudget - decodes.length;', 'let room = state.tokenBudget;'));
    expect(cases['no decode stalls']).toMatch(/^pass/);
    expect(cases['within the token budget']).toMatch(/^FAIL: On a long prompt among decodes: Iteration \d+ .* processed \d+ prompt tokens and \d+ decodes, \d+ tokens, over the budget of 512/);
    expect(cases["Sarathi-Serve's latencies"]).toMatch(/^FAIL: Your schedule is not Sarathi-Serve's: your /);
  });
});

describe('the counting exercise of lesson 7 names the usual slips', () => {
  const source = (kvBytes: number, prefillFlops: number, ttftMs: number, tpotMs: number) =>
    `export const kvBytes = ${kvBytes};\nexport const prefillFlops = ${prefillFlops};\nexport const ttftMs = ${ttftMs};\nexport const tpotMs = ${tpotMs};\n`;

  test('keys only, every pair, the clock time and five gaps: each case says which slip it is', async () => {
    const { check: countTheWork } = await import('../../lessons/07-evaluation/exercises/01-count-the-work/check.ts');
    const report = await countTheWork(source(24576000, 4 * 128 * 32 * (512 * 512 + 1024 * 1024), 1450, 24), engine);
    const summaries = Object.fromEntries(report.cases.map((c) => [c.name, `${c.passed ? 'pass' : 'FAIL'}: ${c.summary}`]));
    expect(summaries).toEqual({
      'bytes a decode reads': 'FAIL: `kvBytes` is 24,576,000, not the expected count: that is the keys alone (or keys and values at 2 bytes a number; these are fp32); a decode reads the values too.',
      'FLOPs of a causal prefill': 'FAIL: `prefillFlops` is 21,474,836,480, not the expected count: that counts every query against every key; a causal query sees only the keys up to itself.',
      'time to first token': 'FAIL: `ttftMs` is 1,450, not the expected count: that is the first token’s time on the clock; TTFT counts from the request’s arrival.',
      'time per output token': 'FAIL: `tpotMs` is 24, not the expected count: that divides by the 5 tokens; 5 tokens have 4 gaps between them.',
      'your byte count, measured': expect.stringMatching(/^FAIL: With your count the kernel would have moved [\d.]+ GB\/s \([\d.]+ ms, wall time\); the rate is not right until the count is \(see the first case\)\.$/),
    });
    const right = await countTheWork(source(49152000, 10750001152, 250, 30), engine);
    expect(right.cases.at(-1)!.summary).toMatch(/^The decode step took [\d.]+ ms \(wall time on CPU reference.*\): [\d.]+ GB\/s of keys and values\.$/);
    expect(right.passed).toBe(true);
  });
});

describe('the tile-traffic exercise of lesson 8 names the usual slips', () => {
  test('keys alone, one read per key, numbers for bytes and the 64-row traffic at 128 rows', async () => {
    const { check: tileTraffic } = await import('../../lessons/08-memory-movement/exercises/01-tile-traffic/check.ts');
    const source = 'export const tileBytes = 8192;\nexport const bytes64 = 8388608;\nexport const bytes128 = 16777216;\nexport const intensity128 = 32;\n';
    const report = await tileTraffic(source, engine);
    expect(Object.fromEntries(report.cases.map((c) => [c.name, c.summary]))).toEqual({
      'one key tile': '`tileBytes` is 8,192, not the expected count: that counts numbers; an fp32 number is 4 bytes.',
      'traffic at 64 rows': '`bytes64` is 8,388,608, not the expected count: that is the keys alone (or the traffic at 128 rows); each of the 16 workgroups reads the keys and the values.',
      'traffic at 128 rows': '`bytes128` is 16,777,216, not the expected count: that is the traffic at 64 rows; with twice the rows there are half the workgroups.',
      'intensity at 128 rows': '`intensity128` is 32, not the expected count: that counts one of the two products (q·k or p·v), each d multiply-adds (or it is the intensity at 64 rows).',
      'your traffic, measured': expect.stringMatching(/^With your `bytes64` \(this GPU runs 64-row tiles\) that would be [\d.]+ GB\/s/),
    });
  });
});
