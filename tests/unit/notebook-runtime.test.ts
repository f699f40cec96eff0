import { describe, expect, it } from 'vitest';
import type { Lesson } from '#playground/notebook/cells.ts';
import { formatLessonErrors, parseLesson } from '#playground/notebook/parse.ts';
import { NotebookRuntime, type CellState } from '#playground/notebook/runtime.ts';

function lesson(body: string): Lesson {
  const result = parseLesson(`---\ntitle: T\nsummary: S.\n---\n${body}`);
  if (!result.ok) throw new Error(formatLessonErrors('lesson', result.errors));
  return result.lesson;
}

/** The state of the code/view cell whose source contains `text`. */
function stateOf(notebook: NotebookRuntime, doc: Lesson, text: string): CellState {
  const cell = doc.cells.find((c) => (c.kind === 'code' || c.kind === 'view') && c.source.includes(text));
  if (!cell) throw new Error(`no cell contains ${text}`);
  return notebook.state(cell.id)!;
}

/** Polls until `check` holds (the runtime computes on its own schedule). */
async function until(check: () => boolean, what: string, ms = 2000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('NotebookRuntime', () => {
  it('a page value replaced with setBuiltin re-runs the cells that read it, and only those', async () => {
    const doc = lesson('```js\nconst got = await engine;\nruns.push("reader");\n```\n\n```js\ngot + "!"\n```\n\n```js\nruns.push("other"), "independent"\n```\n');
    const runs: string[] = [];
    const notebook = new NotebookRuntime(doc.cells, { builtins: { runs, engine: Promise.resolve('first') } });
    await notebook.settled();
    expect(stateOf(notebook, doc, 'got + "!"').value).toBe('first!');
    notebook.setBuiltin('engine', Promise.resolve('second'));
    await notebook.settled();
    expect(stateOf(notebook, doc, 'got + "!"').value).toBe('second!');
    expect(runs.sort()).toEqual(['other', 'reader', 'reader']);
    expect(() => notebook.setBuiltin('nothing', 1)).toThrow(/no page value named 'nothing'/);
    notebook.dispose();
  });

  it('re-runs exactly the cells that read a changed value', async () => {
    const doc = lesson('```editor name=n lang=js\n3\n```\n\n```js\nconst x = Number(n) * 2;\nruns.push("x");\n```\n\n```js\nx + 1\n```\n\n```js\nruns.push("other"), "independent"\n```\n');
    const runs: string[] = [];
    const notebook = new NotebookRuntime(doc.cells, { builtins: { runs } });
    await notebook.settled();
    expect(stateOf(notebook, doc, 'x + 1')).toMatchObject({ status: 'done', value: 7, displays: [7] });
    expect(runs.sort()).toEqual(['other', 'x']);

    notebook.setEditor('n', '10');
    await notebook.settled();
    expect(stateOf(notebook, doc, 'x + 1').value).toBe(21);
    expect(runs.sort()).toEqual(['other', 'x', 'x']);
    notebook.dispose();
  });

  it('shows an error in its cell at its line in index.md; readers are blocked, the rest run', async () => {
    const doc = lesson('\n```js\nconst a = 1;\nconst b = a.missing.field;\n```\n\n```js\nb * 2\n```\n\n```js\n"still runs"\n```\n\n```js\nundefinedName + 1\n```\n');
    const notebook = new NotebookRuntime(doc.cells);
    await notebook.settled();
    // The fence opens on line 6 of the file (after 4 lines of front matter and a blank line): `const b` is line 8.
    expect(stateOf(notebook, doc, 'a.missing')).toMatchObject({ status: 'error', error: { line: 8, message: expect.stringMatching(/^TypeError: .*field/) } });
    expect(stateOf(notebook, doc, 'b * 2')).toMatchObject({ status: 'blocked', blockedBy: { name: 'b', line: 6 } });
    expect(stateOf(notebook, doc, 'still runs')).toMatchObject({ status: 'done', value: 'still runs' });
    expect(stateOf(notebook, doc, 'undefinedName')).toMatchObject({ status: 'error', error: { line: 20, message: 'undefinedName is not defined' } });
    notebook.dispose();
  });

  it('recovers when the error is fixed: the blocked reader runs again', async () => {
    const doc = lesson('```editor name=source lang=js\nbad\n```\n\n```js\nconst parsed = JSON.parse(source);\n```\n\n```js\nparsed.k\n```\n');
    const notebook = new NotebookRuntime(doc.cells);
    await notebook.settled();
    expect(stateOf(notebook, doc, 'parsed.k').status).toBe('blocked');
    notebook.setEditor('source', '{"k": 42}');
    await notebook.settled();
    expect(stateOf(notebook, doc, 'JSON.parse').status).toBe('done');
    expect(stateOf(notebook, doc, 'parsed.k')).toMatchObject({ status: 'done', value: 42 });
    notebook.dispose();
  });

  it('makes an input a value with view(): each input event re-runs its readers', async () => {
    const slider = Object.assign(new EventTarget(), { value: 5 });
    const doc = lesson('```js\nconst v = view(slider);\n```\n\n```js\nv * 2\n```\n');
    const notebook = new NotebookRuntime(doc.cells, { builtins: { slider } });
    await until(() => stateOf(notebook, doc, 'v * 2').value === 10, 'the first value');
    expect(stateOf(notebook, doc, 'view(slider)').displays).toEqual([slider]);
    slider.value = 7;
    slider.dispatchEvent(new Event('input'));
    await until(() => stateOf(notebook, doc, 'v * 2').value === 14, 'the value after an input event');
    // The view cell itself did not re-run: it still shows the same input.
    expect(stateOf(notebook, doc, 'view(slider)').displays).toEqual([slider]);
    notebook.dispose();
  });

  it('reports progress and lets the learner cancel a long cell', async () => {
    const doc = lesson('```js\nfor (let i = 0; ; i++) {\n  progress(Math.min(i / 100, 0.99), `step ${i}`);\n  await new Promise((r) => setTimeout(r, 2));\n  signal.throwIfAborted();\n}\n```\n\n```js\n"independent"\n```\n');
    const notebook = new NotebookRuntime(doc.cells);
    const cellId = doc.cells.find((c) => c.kind === 'code' && c.source.includes('progress'))!.id;
    await until(() => (notebook.state(cellId)?.progress?.fraction ?? 0) > 0.02, 'some progress');
    expect(notebook.state(cellId)).toMatchObject({ status: 'running', progress: { label: expect.stringMatching(/^step \d+$/) } });
    notebook.cancel(cellId);
    await notebook.settled();
    expect(notebook.state(cellId)).toMatchObject({ status: 'cancelled', progress: undefined });
    expect(stateOf(notebook, doc, 'independent').status).toBe('done');
    notebook.dispose();
  });

  it('aborts the signal of a run that is superseded by a new input', async () => {
    const aborted: string[] = [];
    const doc = lesson('```editor name=text lang=js\nfirst\n```\n\n```js\nsignal.addEventListener("abort", () => aborted.push(text));\nawait new Promise((r) => setTimeout(r, 50));\ntext.toUpperCase()\n```\n');
    const notebook = new NotebookRuntime(doc.cells, { builtins: { aborted } });
    await until(() => stateOf(notebook, doc, 'toUpperCase').status === 'running', 'the first run');
    notebook.setEditor('text', 'second');
    await until(() => stateOf(notebook, doc, 'toUpperCase').status === 'done', 'the second run');
    expect(aborted).toEqual(['first']);
    notebook.dispose();
  });

  it('gives cells the modules they import and the page builtins', async () => {
    const doc = lesson("```ts\nimport { builtinVariant, compileVariant } from '#kernels/index.ts';\nconst compiled = compileVariant(builtinVariant('soft-cap').source);\n```\n\n```js\ncompiled.ok && compiled.variant.ir.vars.map((v) => v.name).join() + ' on ' + engine\n```\n");
    const notebook = new NotebookRuntime(doc.cells, {
      builtins: { engine: Promise.resolve('cpu') },
      modules: { '#kernels/index.ts': () => import('#kernels/index.ts') },
    });
    await notebook.settled();
    expect(stateOf(notebook, doc, "' on '").value).toBe('cap on cpu');
    notebook.dispose();
  });
});
