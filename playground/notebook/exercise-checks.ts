/**
 * The graders, loaded in the browser when a learner first presses Check: one chunk per exercise,
 * so a lesson page does not carry every exercise's cases.
 */
import type { ExerciseCheck } from './exercise.ts';

const checks = import.meta.glob('../../lessons/*/exercises/*/check.ts', { import: 'check' }) as Record<string, () => Promise<ExerciseCheck>>;

/** The `check` of an exercise, by id (`01-jit-variants/01-soft-cap`). */
export async function loadCheck(id: string): Promise<ExerciseCheck> {
  const [lesson, name] = id.split('/');
  const load = checks[`../../lessons/${lesson}/exercises/${name}/check.ts`];
  if (!load) throw new RangeError(`no exercise '${id}' has a check.ts`);
  const check = await load();
  if (typeof check !== 'function') throw new TypeError(`lessons/${lesson}/exercises/${name}/check.ts does not export a check function`);
  return check;
}
