import { describe, expect, test } from 'vitest';
import { simulate } from '#kernels/index.ts';
import { readSource } from '#playground/notebook/exercise-source.ts';
import { compileProgram, runProgram } from '#playground/notebook/program.ts';

const FORMAT = { variant: false, answers: [], program: { exports: ['schedule'] } };
const workload = [
  { id: 0, arrivalMs: 0, promptLen: 30, outputLen: 3 },
  { id: 1, arrivalMs: 2, promptLen: 50, outputLen: 2 },
];
const args = { entry: 'schedule', workload, options: { tokenBudget: 32, maxRunning: 4 } };

/** A typed policy: every decode, then whole prompts (prefill-first in a few lines). */
const PREFILL_FIRST = `interface Batch { prefill: { id: number; tokens: number }[]; decodes: number[] }
export function schedule(state: { running: any[]; waiting: any[] }): Batch {
  const prompts = [...state.running.filter((r) => r.prefilled < r.promptLen), ...state.waiting];
  if (prompts.length) return { prefill: prompts.map((r) => ({ id: r.id, tokens: r.promptLen - (r.prefilled ?? 0) })), decodes: [] };
  return { prefill: [], decodes: state.running.map((r) => r.id as number) };
}
`;

function compiled(source: string): string {
  const read = readSource(source, FORMAT);
  if (!read.ok) throw new Error(read.diagnostics.map((d) => d.message).join('; '));
  return read.program!;
}

describe('learner programs', () => {
  test('strip their types, keep their line numbers and run a job in the sandbox with the same result as in the page', async () => {
    // An export list works as well as an exported declaration.
    const listed = await runProgram(compiled(PREFILL_FIRST.replace('export function', 'function') + 'export { schedule };\n'), 'simulate', args);
    expect(listed.ok).toBe(true);
    const js = compileProgram(PREFILL_FIRST);
    expect(js.ok && js.js.split('\n').length).toBe(PREFILL_FIRST.split('\n').length);
    const result = await runProgram(compiled(PREFILL_FIRST), 'simulate', args);
    expect(result).toEqual({ ok: true, value: simulate(workload, { policy: 'prefill-first', tokenBudget: 32, maxRunning: 4 }) });
  });

  test('a loop that never ends is stopped at the time limit, with a sentence', async () => {
    const spin = 'export function schedule(state) {\n  while (true) {}\n}\n';
    const started = performance.now();
    const result = await runProgram(compiled(spin), 'simulate', args, { timeoutMs: 300 });
    expect(performance.now() - started).toBeLessThan(5000);
    expect(result).toEqual({ ok: false, error: 'your code ran for more than 0.3 s and was stopped (a loop that never ends?)', timedOut: true });
    // At the top level too, as the program loads.
    expect(await runProgram(compiled('for (;;) {}\nexport function schedule(state) { return state; }\n'), 'simulate', args, { timeoutMs: 300 })).toMatchObject({ timedOut: true });
  });

  test("an exception in the learner's code is reported with its line; a batch the simulator refuses, with the reason", async () => {
    const throws = 'export function schedule(state) {\n  const first = state.running[0];\n  return first.id;\n}\n';
    expect(await runProgram(compiled(throws), 'simulate', args)).toEqual({
      ok: false,
      error: expect.stringMatching(/^`schedule` threw TypeError: Cannot read properties of undefined \(reading 'id'\) \(line 3\)$/),
    });
    const empty = 'export function schedule(state) {\n  return { prefill: [], decodes: [] };\n}\n';
    expect(await runProgram(compiled(empty), 'simulate', args)).toEqual({
      ok: false,
      error: 'iteration 0 (at 0.0 ms): the schedule returned an empty batch with 0 running and 1 waiting: nothing would ever finish',
    });
    const atLoad = 'throw new Error("no");\nexport function schedule(state) { return state; }\n';
    expect(await runProgram(compiled(atLoad), 'simulate', args)).toEqual({ ok: false, error: 'your code failed as it loaded: Error: no (line 1)' });
  });

  test('an async schedule is named; promise callbacks run under the time limit; a sparse array, a load-time error and a silenced console are handled', async () => {
    const asyncSchedule = 'export async function schedule(state) {\n  return { prefill: [], decodes: [] };\n}\n';
    expect(await runProgram(compiled(asyncSchedule), 'simulate', args)).toEqual({
      ok: false,
      error: expect.stringContaining('it returned a promise (the schedule must not be async)'),
    });
    const spinsLater = 'Promise.resolve().then(() => { for (;;) {} });\nexport function schedule(state) { return state; }\n';
    const started = performance.now();
    expect(await runProgram(compiled(spinsLater), 'simulate', args, { timeoutMs: 300 })).toMatchObject({ ok: false, timedOut: true });
    expect(performance.now() - started).toBeLessThan(5000);
    const sparse = 'export function schedule(state) {\n  const decodes = new Array(2);\n  return { prefill: [{ id: state.waiting[0].id, tokens: 1 }], decodes };\n}\n';
    expect(await runProgram(compiled(sparse), 'simulate', args)).toEqual({ ok: false, error: 'iteration 0 (at 0.0 ms): decodes[0] is undefined, not a request id' });
    const loadError = 'const x = null;\nx.y = 1;\nexport function schedule(state) { return state; }\n';
    expect(await runProgram(compiled(loadError), 'simulate', args)).toEqual({ ok: false, error: expect.stringMatching(/^your code failed as it loaded: TypeError: .* \(line 2\)$/) });
    const silences = 'console.log = () => {};\nexport function schedule(state) { return { prefill: [], decodes: [] }; }\n';
    const log = console.log;
    await runProgram(compiled(silences), 'simulate', args);
    expect(console.log).toBe(log);
  });

  test('reads as diagnostics: syntax errors, imports and a missing export, each at its line', () => {
    const bad = (source: string) => {
      const read = readSource(source, FORMAT);
      return read.ok ? [] : read.diagnostics.map((d) => `${d.line}: ${d.message}`);
    };
    expect(bad('export function schedule(state) {\n  return {;\n}\n')).toEqual([expect.stringMatching(/^2: Syntax error: /)]);
    expect(bad("import { sarathi } from '#kernels/index.ts';\nexport const schedule = (state) => sarathi(state);\n")).toEqual([
      '1: This code runs on its own: it imports nothing (everything it needs is passed to it).',
    ]);
    expect(bad('export function schedul(state) {\n  return state;\n}\n')).toEqual(['4: Your code has no `export function schedule(...) { ... }`.']);
    expect(bad('function schedule(state) {\n  return state;\n}\n')).toHaveLength(1);
    expect(bad('function schedule(state) {\n  return state;\n}\nexport { schedule };\n')).toEqual([]);
  });
});
