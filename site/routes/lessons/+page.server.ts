import { LESSONS } from './catalog.server.ts';

export function load() {
  return { lessons: LESSONS };
}
