import { error } from '@sveltejs/kit';
import { exerciseContent } from '#playground/notebook/exercise-content.ts';
import { lessonExercises } from '#playground/notebook/exercise-registry.ts';
import { findLesson, LESSONS } from '../catalog.server.ts';
import type { EntryGenerator } from './$types';

/** Every lesson folder becomes a prerendered page. */
export const entries: EntryGenerator = () => LESSONS.map(({ slug }) => ({ slug }));

export function load({ params }: { params: { slug: string } }) {
  const found = findLesson(params.slug);
  if (!found) error(404, `There is no lesson '${params.slug}'.`);
  const exercises = lessonExercises(params.slug).map(exerciseContent);
  const { lesson } = found;
  if (exercises.length > 0) {
    // The exercises are drawn after the notebook, so they belong to the lesson's last section.
    const last = lesson.toc.filter((t) => t.level === 2).at(-1);
    if (last?.id !== 'exercises') {
      throw new Error(`lessons/${params.slug}/index.md: this lesson has exercises, so its last section is '## Exercises' (they are shown under it)`);
    }
  }
  const toc = [...lesson.toc, ...exercises.map((e) => ({ level: 3 as const, id: `exercise-${e.name}`, text: e.title }))];
  return { slug: params.slug, ...found, lesson: { ...lesson, toc }, exercises };
}
