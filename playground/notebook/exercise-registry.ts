/**
 * Every exercise of every lesson, found by its folder: `lessons/NN-slug/exercises/NN-name/` with
 * `README.md` (a `# Title`, the task, and a `## Hints` list revealed one at a time), `start.ts`,
 * `solution.ts` and `check.ts` (which exports `check`, made by `defineCheck`).
 */
import type { ExerciseCheck } from './exercise.ts';

const readmes = import.meta.glob('../../lessons/*/exercises/*/README.md', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;
const starts = import.meta.glob('../../lessons/*/exercises/*/start.ts', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;
const solutions = import.meta.glob('../../lessons/*/exercises/*/solution.ts', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;
const checks = import.meta.glob('../../lessons/*/exercises/*/check.ts', { import: 'check', eager: true }) as Record<string, ExerciseCheck>;

export interface Exercise {
  /** `01-jit-variants/01-soft-cap`: the lesson's folder and the exercise's. */
  id: string;
  lesson: string;
  /** The exercise's folder, `01-soft-cap`. */
  name: string;
  title: string;
  /** The README's Markdown without its title and its hints. */
  task: string;
  hints: string[];
  start: string;
  solution: string;
  check: ExerciseCheck;
}

function parseReadme(id: string, readme: string): { title: string; task: string; hints: string[] } {
  const title = /^# (.+)$/m.exec(readme)?.[1].trim();
  if (!title) throw new Error(`lessons/${id}/README.md: an exercise's README starts with a '# Title' line`);
  const [body, hintsPart = ''] = readme.replace(/^# .+\n/m, '').split(/^## Hints\s*$/m);
  const hints = hintsPart
    .split(/^- /m)
    .map((h) => h.trim().replace(/\s*\n\s*/g, ' '))
    .filter(Boolean);
  return { title, task: body.trim(), hints };
}

const folder = (path: string) => path.replace(/^.*lessons\//, '').replace(/\/[^/]+$/, '');

export const EXERCISES: readonly Exercise[] = Object.entries(readmes)
  .map(([path, readme]) => {
    const id = folder(path).replace('/exercises/', '/');
    const [lesson, name] = id.split('/');
    const base = path.replace(/README\.md$/, '');
    const start = starts[`${base}start.ts`];
    const solution = solutions[`${base}solution.ts`];
    const check = checks[`${base}check.ts`];
    if (start === undefined || solution === undefined || typeof check !== 'function') {
      throw new Error(`lessons/${lesson}/exercises/${name}: an exercise has README.md, start.ts, solution.ts and a check.ts that exports check`);
    }
    return { id, lesson, name, ...parseReadme(id, readme), start, solution, check };
  })
  .sort((a, b) => a.id.localeCompare(b.id));

/**
 * Finds an exercise by its full id (`01-jit-variants/01-soft-cap`), its folder (`01-soft-cap`) or
 * its folder without the number (`soft-cap`), when that names exactly one.
 */
export function findExercise(key: string): Exercise {
  const matches = EXERCISES.filter((e) => e.id === key || e.name === key || e.name.replace(/^\d+-/, '') === key);
  if (matches.length === 1) return matches[0];
  const known = EXERCISES.map((e) => e.id).join(', ');
  if (matches.length === 0) throw new RangeError(`no exercise '${key}'; there are ${known}`);
  throw new RangeError(`'${key}' names ${matches.length} exercises (${matches.map((e) => e.id).join(', ')}); use the full id`);
}

/** The exercises of one lesson, in order. */
export function lessonExercises(lesson: string): Exercise[] {
  return EXERCISES.filter((e) => e.lesson === lesson);
}
