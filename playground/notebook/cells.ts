/**
 * The typed form of a lesson: what `parseLesson` makes of `index.md` and what the notebook
 * runtime and the page consume. Plain data (JSON-serializable), so it is computed at build time
 * and shipped to the page as is.
 */

export interface Lesson {
  title: string;
  /** One sentence for the lesson index. */
  summary: string;
  /** The `##` and `###` headings, in order, for the table of contents. */
  toc: TocEntry[];
  cells: Cell[];
}

export interface TocEntry {
  level: 2 | 3;
  /** The heading's `id` attribute in the rendered prose. */
  id: string;
  text: string;
}

export type Cell = ProseCell | CodeCell | EditorCell | ViewCell;

interface CellBase {
  /** Unique within the lesson: `c0`, `c1`, … in document order. */
  id: string;
  /** 1-based line in index.md where the cell starts (the opening fence for fenced cells). */
  line: number;
}

/** Markdown between fenced cells, rendered to HTML (math already typeset by KaTeX). */
export interface ProseCell extends CellBase {
  kind: 'prose';
  html: string;
}

/** JavaScript compiled into the body of an async function whose line k is the source's line k. */
export interface CompiledJs {
  /** True when the whole source is one expression: its value is displayed. */
  expression: boolean;
  /** The body of `async function (__import, display, view, signal, progress, ...inputs)`. */
  body: string;
  /** Names the cell reads from outside itself: other cells, editors, page builtins, or globals such as `Math`. */
  inputs: string[];
  /** Module specifiers the cell imports (each must be one the notebook provides). */
  imports: string[];
}

/** A ```js or ```ts fence: runs, and re-runs whenever a value it reads changes. */
export interface CodeCell extends CellBase, CompiledJs {
  kind: 'code';
  lang: 'js' | 'ts';
  /** The cell's text as the author wrote it (shown to the learner unless `hide`). */
  source: string;
  /** Show the source above the output (default); `hide` shows only the output. */
  echo: boolean;
  /** Top-level declarations, readable by every other cell. */
  outputs: string[];
}

/** A ```editor fence: a Monaco editor whose current text is the value `name`. */
export interface EditorCell extends CellBase {
  kind: 'editor';
  name: string;
  /** `variant`: the variant language, with its typings and compile errors marked in place. */
  lang: 'variant' | 'ts' | 'js';
  /** The initial text: the fence's body, or the built-in variant named by `builtin=`. */
  value: string;
  /** The editor's accessible name. */
  label: string;
}

/** A ```view fence: a visualization component; the body is one expression, its props. */
export interface ViewCell extends CellBase, CompiledJs {
  kind: 'view';
  component: string;
  source: string;
}

/** A problem in a lesson file, with the 1-based line it is on. */
export interface LessonError {
  line: number;
  message: string;
}

export type ParseResult = { ok: true; lesson: Lesson } | { ok: false; errors: LessonError[] };

/**
 * Per-cell helpers every code and view cell can call (they are function parameters, not cells):
 * `display(value)` shows a value or DOM node under the cell; `view(input)` shows an input element
 * and returns its value as it changes; `signal` is an AbortSignal aborted when the cell re-runs or
 * the learner cancels it; `progress(fraction, label?)` shows a progress bar.
 */
export const CELL_HELPERS = ['display', 'view', 'signal', 'progress'] as const;

/** Values the lesson page provides to every cell. `engine`: the attention engine (WebGPU, or the CPU reference). */
export const PAGE_BUILTINS = ['engine'] as const;

/** Names a cell or editor may not declare: the helpers, the page's builtins and the Observable runtime's own. */
export const RESERVED_NAMES: readonly string[] = [...CELL_HELPERS, ...PAGE_BUILTINS, 'invalidation', 'visibility', '__import'];
