import { describe, expect, test } from 'vitest';
import { createEngine } from '#kernels/index.ts';
import { findExercise } from '#playground/notebook/exercise-registry.ts';
import { TOLERANCE } from '#playground/notebook/exercise.ts';

const engine = await createEngine({ backend: 'cpu' });

describe('a grader report says which case failed and how', () => {
  test('an off-by-one window fails the windowed cases, at a cell the window reaches, with matrices to draw', async () => {
    const exercise = findExercise('sliding-window-sink');
    const offByOne = exercise.solution.replace('pos - idx.kv < vars.window', 'pos - idx.kv <= vars.window');
    const report = await exercise.check(offByOne, engine);
    expect(report.passed).toBe(false);
    const byName = Object.fromEntries(report.cases.map((c) => [c.name, c]));
    // One key, or rows that see no key: a window one too wide changes nothing there.
    expect(byName['length 1, window 1, sink 0'].passed).toBe(true);
    expect(byName['rows that see no key'].passed).toBe(true);
    const prefill = byName['prefill, window 4, sink 2'];
    expect(prefill.passed).toBe(false);
    expect(prefill.summary).toMatch(/^Max \|error\| .* exceeds 1\.0e-5; worst at request 0, query \d+, head \d, dim \d+: expected o = .*, got .*\.$/);
    expect(prefill.bound).toBeCloseTo(TOLERANCE, 12);
    expect(prefill.maxAbsError).toBeGreaterThan(0.01);
    const worst = prefill.worst!;
    expect(worst.array).toBe('o');
    expect(Math.abs(worst.got - worst.expected)).toBeCloseTo(prefill.maxAbsError!, 6);
    // The first queries see no more than sink + window keys either way: the error starts later.
    expect(worst.qo).toBeGreaterThanOrEqual(6);
    expect(prefill.diff).toMatchObject({ rows: 24, cols: 2 });
    expect(prefill.diff!.values.slice(0, 2 * 6).every((e) => e === 0)).toBe(true);
    expect(Math.max(...prefill.diff!.values)).toBeCloseTo(prefill.maxAbsError!, 6);
    // The weights show the mask: query 23 keeps 2 sinks + 4 keys under the solution, 2 + 5 under the off-by-one.
    const visible = (m: { values: number[]; cols: number }, row: number) => m.values.slice(row * m.cols, (row + 1) * m.cols).filter((w) => w > 0).length;
    expect(prefill.expectedWeights).toMatchObject({ rows: 24, cols: 24 });
    expect(visible(prefill.expectedWeights!, 23)).toBe(6);
    expect(visible(prefill.gotWeights!, 23)).toBe(7);
  });

  test('a row that should see no key, and does, is reported as an lse of −∞ against a finite one', async () => {
    const exercise = findExercise('sliding-window-sink');
    const noCausal = 'export const vars = { window: 8 as i32, sink: 2 as i32 };\nexport function logitsMask(idx: Idx): boolean {\n  return idx.kv < vars.sink || idx.qo - idx.kv < vars.window;\n}\n';
    const report = await exercise.check(noCausal, engine);
    const masked = report.cases.find((c) => c.name === 'rows that see no key')!;
    expect(masked.passed).toBe(false);
    expect(masked.worst).toMatchObject({ array: 'lse', request: 0, qo: 0, expected: -Infinity });
    expect(masked.summary).toContain('expected lse = -Infinity');
    expect(masked.summary).toContain('that row should see no key at all');
  });

  test('compile errors are reported with their line and no case runs', async () => {
    const exercise = findExercise('soft-cap');
    const report = await exercise.check('export const vars = { cap: 1.0 };\nexport function logitsTransform(logit: number, idx: Idx): number {\n  return vars.cap * Math.tanh(logit / vars.capp);\n}\n', engine);
    expect(report.passed).toBe(false);
    expect(report.cases).toEqual([]);
    expect(report.diagnostics).toHaveLength(1);
    expect(report.diagnostics[0]).toMatchObject({ line: 3 });
    expect(report.diagnostics[0].message).toContain('capp');
  });

  test('a missing var fails each case with a sentence naming it', async () => {
    const exercise = findExercise('soft-cap');
    const report = await exercise.check('export function logitsTransform(logit: number, idx: Idx): number {\n  return Math.tanh(logit);\n}\n', engine);
    expect(report.cases.every((c) => !c.passed && c.summary.startsWith('Your variant does not declare the var `cap`'))).toBe(true);
  });

  test('sigmoid weights under a softmax fail on lse, which must be 0 without one', async () => {
    const exercise = findExercise('flash-sigmoid');
    const report = await exercise.check(exercise.solution.replace('useSoftmax = false', 'useSoftmax = true'), engine);
    expect(report.cases.every((c) => !c.passed)).toBe(true);
    expect(report.cases[0].summary).toMatch(/expected lse = 0, got/);
  });

  test('the soft-cap start passes only where the cap cannot show: nowhere here', async () => {
    const exercise = findExercise('soft-cap');
    const report = await exercise.check(exercise.start, engine);
    expect(report.cases.map((c) => c.passed)).toEqual([false, false, false, false, false]);
    // With one key the weight is 1 whatever the score: the output matches, and only lse shows the missing cap.
    expect(report.cases[1].worst?.array).toBe('lse');
  });

  test('exercises are found by id, by folder, or by name', () => {
    expect(findExercise('01-jit-variants/01-soft-cap').name).toBe('01-soft-cap');
    expect(findExercise('02-flash-sigmoid').id).toBe('01-jit-variants/02-flash-sigmoid');
    expect(() => findExercise('nope')).toThrow(/no exercise 'nope'; there are 01-jit-variants\/01-soft-cap/);
  });
});
