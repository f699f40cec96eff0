/**
 * Runs a lesson's cells on the Observable runtime: a cell re-runs when a value it reads changes,
 * an error stays in its cell (cells reading its values say what they wait for; the rest run on),
 * and a running cell can report progress and be cancelled. No DOM needed: `display`ed values and
 * states are handed to `onchange`, and the page draws them.
 */
import { Runtime, RuntimeError, type Variable } from '@observablehq/runtime';
import type { Cell, CodeCell, ViewCell } from './cells.ts';

export type CellStatus = 'waiting' | 'running' | 'done' | 'error' | 'blocked' | 'cancelled';

export interface CellState {
  status: CellStatus;
  /** What the cell shows: `display`ed values and `view` inputs, then an expression cell's value. */
  displays: unknown[];
  /** A view cell's props; an editor's text; a code cell's value (its declarations, or its expression's value). */
  value?: unknown;
  /** Status `error`: what went wrong, at which line of index.md. */
  error?: { message: string; line: number };
  /** Status `blocked`: the value this cell reads whose own cell failed, and that cell's line. */
  blockedBy?: { name: string; line?: number };
  progress?: { fraction: number; label?: string };
  /** How long the last run took, in milliseconds. */
  ms?: number;
}

export interface NotebookOptions {
  /** Values every cell may read by name (each may be a promise): the page's `engine`, for instance. */
  builtins?: Record<string, unknown>;
  /** Loaders for the modules cells import (see modules.ts). */
  modules?: Record<string, () => Promise<unknown>>;
  onchange?: (id: string, state: CellState) => void;
}

type CellWithCode = CodeCell | ViewCell;

const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor as new (...args: string[]) => (...args: unknown[]) => Promise<unknown>;

export class NotebookRuntime {
  readonly #runtime: Runtime;
  readonly #states = new Map<string, CellState>();
  readonly #editors = new Map<string, Variable>();
  readonly #builtins = new Map<string, Variable>();
  /** Which line defines each name (a cell's declaration, an editor, or a builtin: no line). */
  readonly #definedAt = new Map<string, number | undefined>();
  readonly #cancels = new Map<string, AbortController>();
  /** Counts each cell's runs, so a late report about an earlier run cannot overwrite a newer one. */
  readonly #runs = new Map<string, number>();
  readonly #onchange: NotebookOptions['onchange'];
  #listeners: (() => void)[] = [];

  constructor(cells: Cell[], options: NotebookOptions = {}) {
    this.#onchange = options.onchange;
    this.#runtime = new Runtime();
    const main = this.#runtime.module();
    // The page's values are variables of the module rather than runtime builtins, so a page can
    // replace one (`setBuiltin`) and the cells reading it re-run.
    for (const [name, value] of Object.entries(options.builtins ?? {})) {
      this.#definedAt.set(name, undefined);
      this.#builtins.set(name, main.variable().define(name, [], () => value));
    }
    const modules = options.modules ?? {};
    const load = (specifier: string) => {
      const loader = modules[specifier];
      return loader ? loader() : Promise.reject(new Error(`this notebook provides no module '${specifier}'`));
    };

    for (const cell of cells) {
      if (cell.kind === 'editor') this.#definedAt.set(cell.name, cell.line);
      if (cell.kind === 'code') for (const name of cell.outputs) this.#definedAt.set(name, cell.line);
    }
    for (const cell of cells) {
      if (cell.kind === 'prose') continue;
      this.#states.set(cell.id, { status: 'waiting', displays: [] });
      if (cell.kind === 'editor') {
        this.#editors.set(cell.name, main.variable(this.#observer(cell)).define(cell.name, [], cell.value));
        continue;
      }
      const hidden = `#${cell.id}`;
      main.variable(this.#observer(cell)).define(hidden, ['invalidation', ...cell.inputs], this.#definition(cell, load));
      if (cell.kind === 'code') {
        // One variable per declaration, so a reader re-runs when the cell does; a `view` generator
        // returned here is iterated by the runtime, one value per input event.
        for (const name of cell.outputs) main.variable().define(name, [hidden], (values: Record<string, unknown>) => values[name]);
      }
    }
  }

  /** The latest state of a cell (undefined for prose). */
  state(id: string): CellState | undefined {
    return this.#states.get(id);
  }

  /** Sets an editor's text: every cell that reads it re-runs. */
  setEditor(name: string, text: string) {
    const variable = this.#editors.get(name);
    if (!variable) throw new RangeError(`no editor named '${name}'`);
    variable.define(name, [], text);
  }

  /** Replaces a page value given in `builtins` (a new engine, say): every cell that reads it re-runs. */
  setBuiltin(name: string, value: unknown) {
    const variable = this.#builtins.get(name);
    if (!variable) throw new RangeError(`no page value named '${name}'`);
    variable.define(name, [], () => value);
  }

  /** Aborts the `signal` of a cell's current run. */
  cancel(id: string) {
    this.#cancels.get(id)?.abort(new DOMException('Cancelled by the learner', 'AbortError'));
  }

  /** Resolves once no cell is waiting or running (give the runtime a frame to notice new work first). */
  async settled(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 20));
    while ([...this.#states.values()].some((s) => s.status === 'waiting' || s.status === 'running')) {
      await new Promise<void>((resolve) => this.#listeners.push(resolve));
    }
  }

  /** Stops everything: running cells see their signal abort, inputs stop listening. */
  dispose() {
    for (const controller of this.#cancels.values()) controller.abort(new DOMException('The notebook was closed', 'AbortError'));
    this.#runtime.dispose();
  }

  #update(id: string, change: Partial<CellState>) {
    const next = { ...this.#states.get(id)!, ...change };
    this.#states.set(id, next);
    this.#onchange?.(id, next);
    const listeners = this.#listeners;
    this.#listeners = [];
    for (const listener of listeners) listener();
  }

  #observer(cell: Exclude<Cell, { kind: 'prose' }>) {
    return {
      pending: () => {
        if (this.#states.get(cell.id)?.status !== 'running') this.#update(cell.id, { status: 'waiting', progress: undefined });
      },
      fulfilled: (value: unknown) => {
        const displays = this.#states.get(cell.id)!.displays;
        const shown = cell.kind === 'code' && cell.expression && value !== undefined && displays.length === 0 ? [value] : displays;
        this.#update(cell.id, { status: 'done', value, displays: shown, error: undefined, blockedBy: undefined, progress: undefined });
      },
      rejected: (error: unknown) => this.#rejected(cell, error),
    };
  }

  async #rejected(cell: Exclude<Cell, { kind: 'prose' }>, error: unknown) {
    const run = this.#runs.get(cell.id);
    const clear = { progress: undefined, value: undefined };
    if (error instanceof DOMException && error.name === 'AbortError') {
      this.#update(cell.id, { ...clear, status: 'cancelled', error: undefined, blockedBy: undefined });
      return;
    }
    if (error instanceof RuntimeError && error.input !== undefined && this.#definedAt.has(error.input)) {
      this.#update(cell.id, { ...clear, status: 'blocked', displays: [], error: undefined, blockedBy: { name: error.input, line: this.#definedAt.get(error.input) } });
      return;
    }
    const message = error instanceof RuntimeError ? error.message : error instanceof Error ? `${error.name}: ${error.message}` : `Thrown: ${String(error)}`;
    let line = cell.line + 1;
    if (cell.kind !== 'editor') {
      const found = error instanceof RuntimeError && error.input ? lineOfName(cell, error.input) : await lineOfError(cell, error);
      if (found !== undefined) line = cell.line + found;
    }
    if (this.#runs.get(cell.id) !== run) return;
    this.#update(cell.id, { ...clear, status: 'error', error: { message, line }, blockedBy: undefined });
  }

  #definition(cell: CellWithCode, load: (specifier: string) => Promise<unknown>) {
    const fn = new AsyncFunction('__import', 'display', 'view', 'signal', 'progress', ...cell.inputs, `${cell.body}\n//# sourceURL=${sourceUrl(cell)}`);
    return async (invalidation: Promise<void>, ...values: unknown[]) => {
      const controller = new AbortController();
      this.#cancels.set(cell.id, controller);
      this.#runs.set(cell.id, (this.#runs.get(cell.id) ?? 0) + 1);
      invalidation.then(() => controller.abort(new DOMException('The cell is re-running', 'AbortError')));
      this.#update(cell.id, { status: 'running', displays: [], error: undefined, blockedBy: undefined, progress: undefined });
      const started = performance.now();
      const display = (value: unknown) => {
        if (!controller.signal.aborted) this.#update(cell.id, { displays: [...this.#states.get(cell.id)!.displays, value] });
        return value;
      };
      const view = (input: EventTarget & { value: unknown }) => {
        display(input);
        return inputValues(input);
      };
      const progress = (fraction: number, label?: string) => {
        if (!controller.signal.aborted) this.#update(cell.id, { progress: { fraction: Math.min(1, Math.max(0, fraction)), label } });
      };
      try {
        const value = await fn(load, display, view, controller.signal, progress, ...values);
        // A cell that ignored its signal still finished: its value stands.
        return value;
      } finally {
        if (this.#cancels.get(cell.id) === controller) this.#cancels.delete(cell.id);
        this.#states.set(cell.id, { ...this.#states.get(cell.id)!, ms: performance.now() - started });
      }
    };
  }
}

/**
 * An input's values as the runtime consumes a generator: the current value first, then one per
 * `input` event (the latest, if several came between two reads). `return()` stops listening.
 */
export function inputValues<T>(input: EventTarget & { value: T }): IterableIterator<Promise<T>> {
  let stale = true;
  let resolve: ((value: T) => void) | undefined;
  const onInput = () => {
    if (resolve) {
      resolve(input.value);
      resolve = undefined;
    } else stale = true;
  };
  input.addEventListener('input', onInput);
  const iterator: IterableIterator<Promise<T>> = {
    [Symbol.iterator]: () => iterator,
    next() {
      if (stale) {
        stale = false;
        return { done: false, value: Promise.resolve(input.value) };
      }
      return { done: false, value: new Promise<T>((r) => (resolve = r)) };
    },
    return() {
      input.removeEventListener('input', onInput);
      return { done: true, value: undefined };
    },
  };
  return iterator;
}

function sourceUrl(cell: CellWithCode): string {
  return `notebook-cell-${cell.id}.js`;
}

/** The 1-based line in the cell where `error` was thrown, from its stack, if the engine says. */
async function lineOfError(cell: CellWithCode, error: unknown): Promise<number | undefined> {
  const stack = error instanceof Error ? error.stack : undefined;
  const offset = await functionLineOffset();
  if (!stack || offset === undefined) return undefined;
  const match = new RegExp(`${sourceUrl(cell).replace(/\./g, '\\.')}:(\\d+)`).exec(stack);
  if (!match) return undefined;
  const line = Number(match[1]) - offset;
  return line >= 1 && line <= cell.source.split('\n').length ? line : undefined;
}

/** The first line of the cell that mentions `name` (for "x is not defined"). */
function lineOfName(cell: CellWithCode, name: string): number | undefined {
  const pattern = new RegExp(`(^|[^\\w$.])${name.replace(/\$/g, '\\$')}($|[^\\w$])`);
  const index = cell.source.split('\n').findIndex((text) => pattern.test(text));
  return index === -1 ? undefined : index + 1;
}

let offset: Promise<number | undefined> | undefined;

/**
 * How many lines the JavaScript engine puts before a constructed function's body (V8: 2, for
 * `async function anonymous(…\n) {\n`), measured once rather than assumed per browser.
 */
function functionLineOffset(): Promise<number | undefined> {
  offset ??= new AsyncFunction('throw new Error("probe");\n//# sourceURL=notebook-line-probe.js')().then(
    () => undefined,
    (error: Error) => {
      const match = /notebook-line-probe\.js:(\d+)/.exec(error.stack ?? '');
      return match ? Number(match[1]) - 1 : undefined;
    },
  );
  return offset;
}
