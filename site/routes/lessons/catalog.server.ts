import { formatLessonErrors, parseLesson } from '#playground/notebook/parse.ts';
import type { Lesson } from '#playground/notebook/cells.ts';

/** Every lesson's index.md, read when the site is built: a lesson is its folder, `NN-slug`. */
const sources = import.meta.glob('../../../lessons/*/index.md', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;

export interface LessonEntry {
  slug: string;
  /** The folder's number: the lesson's place in the course. */
  number: number;
  title: string;
  summary: string;
}

const parsed = new Map<string, Lesson>();
const entries: LessonEntry[] = [];

for (const [path, source] of Object.entries(sources)) {
  const slug = path.split('/').at(-2)!;
  const match = /^(\d+)-[a-z0-9-]+$/.exec(slug);
  if (!match) throw new Error(`lessons/${slug}: a lesson folder is named NN-slug (digits, a hyphen, lower-case words)`);
  const result = parseLesson(source);
  // A broken lesson fails the build, with every problem at its line.
  if (!result.ok) throw new Error(`lesson does not parse:\n${formatLessonErrors(`lessons/${slug}/index.md`, result.errors)}`);
  parsed.set(slug, result.lesson);
  entries.push({ slug, number: Number(match[1]), title: result.lesson.title, summary: result.lesson.summary });
}
entries.sort((a, b) => a.number - b.number || a.slug.localeCompare(b.slug));

export const LESSONS: readonly LessonEntry[] = entries;

/** A lesson with its neighbours in the course, or undefined for an unknown slug. */
export function findLesson(slug: string): { lesson: Lesson; entry: LessonEntry; previous?: LessonEntry; next?: LessonEntry } | undefined {
  const index = entries.findIndex((e) => e.slug === slug);
  if (index === -1) return undefined;
  return { lesson: parsed.get(slug)!, entry: entries[index], previous: entries[index - 1], next: entries[index + 1] };
}
