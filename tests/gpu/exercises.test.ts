import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Engine } from '#kernels/index.ts';
import { EXERCISES } from '#playground/notebook/exercise-registry.ts';
import { dawnEngine } from './dawn.ts';

// What a learner's Check does in a browser with WebGPU: an exercise's solution graded on the GPU
// kernels (here SwiftShader through dawn.node) passes every case. The unit tier grades every
// solution, and every start, on the CPU reference; the browser tests (tests/e2e/exercises.test.ts)
// pass the soft-cap exercise and those of lessons 2 to 8 but the fixed pattern on WebGPU. These
// are the ones left.
const NOT_IN_THE_BROWSER_TESTS = ['01-jit-variants/02-flash-sigmoid', '01-jit-variants/03-sliding-window-sink', '02-sparse-attention/01-fixed-pattern'];
let engine: Engine;
beforeAll(async () => {
  engine = await dawnEngine();
});
afterAll(() => engine?.destroy());

describe('exercises graded on the GPU', () => {
  test('those named here exist', () => {
    expect(EXERCISES.map((e) => e.id)).toEqual(expect.arrayContaining(NOT_IN_THE_BROWSER_TESTS));
  });

  test.each(EXERCISES.filter((e) => NOT_IN_THE_BROWSER_TESTS.includes(e.id)).map((e) => [e.id, e] as const))('%s: the solution passes every case', async (_id, exercise) => {
    const report = await exercise.check(exercise.solution, engine);
    expect(report.diagnostics).toEqual([]);
    for (const c of report.cases) expect(c.passed, `${c.name}: ${c.summary}`).toBe(true);
    expect(report.passed).toBe(true);
  });
});
