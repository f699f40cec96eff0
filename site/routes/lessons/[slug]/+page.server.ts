import { error } from '@sveltejs/kit';
import { findLesson, LESSONS } from '../catalog.server.ts';
import type { EntryGenerator } from './$types';

/** Every lesson folder becomes a prerendered page. */
export const entries: EntryGenerator = () => LESSONS.map(({ slug }) => ({ slug }));

export function load({ params }: { params: { slug: string } }) {
  const found = findLesson(params.slug);
  if (!found) error(404, `There is no lesson '${params.slug}'.`);
  return { slug: params.slug, ...found };
}
