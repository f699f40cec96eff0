/**
 * An exercise as the lesson page shows it: the README's task and hints as HTML (Markdown and KaTeX
 * rendered when the site is built) and the code texts. Plain data, so a server load can pass it.
 */
import type { Exercise } from './exercise-registry.ts';
import type { SourceFormat } from './exercise-source.ts';
import { createMarkdown, finishTokens } from './markdown.ts';

export interface ExerciseContent {
  /** `01-jit-variants/01-soft-cap`: the key of its progress and of its check. */
  id: string;
  /** `01-soft-cap`; the page's anchor is `exercise-01-soft-cap`. */
  name: string;
  title: string;
  taskHtml: string;
  hintsHtml: string[];
  start: string;
  solution: string;
  /** What the source holds (a variant, answers): the page marks errors as the learner types. */
  format: SourceFormat;
}

/**
 * The page puts an exercise's title at `<h3>` (under the lesson's `## Exercises`), so a heading in
 * its task starts at `<h4>`: a README's `##` becomes `<h4>`.
 */
const HEADING_SHIFT = 2;

export function exerciseContent(exercise: Pick<Exercise, 'id' | 'name' | 'title' | 'task' | 'hints' | 'start' | 'solution' | 'check'>): ExerciseContent {
  const md = createMarkdown();
  const file = `lessons/${exercise.id.replace('/', '/exercises/')}/README.md`;
  const fail = (errors: { message: string }[]) => {
    if (errors.length) throw new Error(`${file}: ${errors.map((e) => e.message).join('; ')}`);
  };

  const tokens = md.parse(exercise.task, {});
  fail(finishTokens(tokens).errors);
  for (const token of tokens) {
    if (token.type === 'heading_open' || token.type === 'heading_close') {
      token.tag = `h${Math.min(6, Number(token.tag.slice(1)) + HEADING_SHIFT)}`;
      if (token.type === 'heading_open') token.attrSet('id', `exercise-${exercise.name}-${token.attrGet('id')}`);
    }
  }
  const hintsHtml = exercise.hints.map((hint) => {
    const hintTokens = md.parseInline(hint, {});
    fail(finishTokens(hintTokens).errors);
    return md.renderer.render(hintTokens, md.options, {});
  });
  return {
    id: exercise.id,
    name: exercise.name,
    title: exercise.title,
    taskHtml: md.renderer.render(tokens, md.options, {}),
    hintsHtml,
    start: exercise.start,
    solution: exercise.solution,
    format: exercise.check.format,
  };
}
