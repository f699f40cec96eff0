import { describe, expect, test } from 'vitest';
import { createEngine } from '#kernels/index.ts';
import { EXERCISES, findExercise } from '#playground/notebook/exercise-registry.ts';
import { check as softCap } from '../../lessons/01-jit-variants/exercises/01-soft-cap/check.ts';
import { check as flashSigmoid } from '../../lessons/01-jit-variants/exercises/02-flash-sigmoid/check.ts';
import { check as slidingWindowSink } from '../../lessons/01-jit-variants/exercises/03-sliding-window-sink/check.ts';

const engine = await createEngine({ backend: 'cpu' });

describe('every exercise', () => {
  test("lesson 1 has its three exercises, each graded by its folder's check.ts", () => {
    expect(EXERCISES.map((e) => e.id)).toEqual(expect.arrayContaining(['01-jit-variants/01-soft-cap', '01-jit-variants/02-flash-sigmoid', '01-jit-variants/03-sliding-window-sink']));
    expect(findExercise('01-soft-cap').check).toBe(softCap);
    expect(findExercise('02-flash-sigmoid').check).toBe(flashSigmoid);
    expect(findExercise('03-sliding-window-sink').check).toBe(slidingWindowSink);
  });

  for (const exercise of EXERCISES) {
    describe(exercise.id, () => {
      test('has a title, a task and hints', () => {
        expect(exercise.title.length).toBeGreaterThan(0);
        expect(exercise.task.length).toBeGreaterThan(0);
        expect(exercise.hints.length).toBeGreaterThanOrEqual(2);
      });

      test('the solution passes every case', async () => {
        const report = await exercise.check(exercise.solution, engine);
        expect(report.diagnostics).toEqual([]);
        expect(report.cases.length).toBeGreaterThanOrEqual(4);
        for (const c of report.cases) expect(c.passed, `${c.name}: ${c.summary}`).toBe(true);
        expect(report.passed).toBe(true);
      });

      test('the start compiles and fails', async () => {
        const report = await exercise.check(exercise.start, engine);
        expect(report.diagnostics).toEqual([]);
        expect(report.passed).toBe(false);
        const failed = report.cases.filter((c) => !c.passed);
        expect(failed.length).toBeGreaterThan(0);
        for (const c of failed) {
          expect(c.summary).toMatch(/expected|declare|failed/);
        }
      });
    });
  }
});
