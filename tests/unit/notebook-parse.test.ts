import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatLessonErrors, parseLesson } from '#playground/notebook/parse.ts';
import type { CodeCell } from '#playground/notebook/cells.ts';

const GOLDEN = 'tests/golden/notebook';

/** Each `name.md` parses to exactly `name.json`; a mismatch writes `name-changed.json` to review and move over. */
function expectGolden(file: string) {
  const result = parseLesson(readFileSync(file, 'utf8'));
  const actual = `${JSON.stringify(result, null, 2)}\n`;
  const expectedFile = file.replace(/\.md$/, '.json');
  const expected = existsSync(expectedFile) ? readFileSync(expectedFile, 'utf8') : '';
  if (actual !== expected) writeFileSync(expectedFile.replace(/\.json$/, '-changed.json'), actual);
  expect(actual, `${file} parses differently from ${expectedFile} (see the -changed file)`).toBe(expected);
  return result;
}

const fixtures = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.md')).map((f) => `${dir}/${f}`);

describe('parseLesson golden files', () => {
  it.each(fixtures(GOLDEN))('%s', (file) => {
    expect(expectGolden(file).ok).toBe(true);
  });

  it.each(fixtures(`${GOLDEN}/errors`))('%s', (file) => {
    expect(expectGolden(file).ok).toBe(false);
  });
});

describe('parseLesson', () => {
  const lesson = (body: string) => `---\ntitle: T\nsummary: S.\n---\n${body}`;

  it('keeps every line of a TypeScript cell where it was, so run-time errors map back to the file', () => {
    const source = 'const a: number = 1;\ninterface Shape { n: number }\nconst b = (x: Shape) => x.n;\nthrow new Error(String(a));';
    const result = parseLesson(lesson(`\n\`\`\`ts\n${source}\n\`\`\`\n`));
    if (!result.ok) throw new Error(formatLessonErrors('lesson', result.errors));
    const cell = result.lesson.cells[0] as CodeCell;
    const bodyLines = cell.body.split('\n');
    expect(bodyLines.slice(0, 4).map((l) => l.trim())).toEqual(['const a         = 1;', '', 'const b = (x       ) => x.n;', 'throw new Error(String(a));']);
    expect(cell.line).toBe(6); // the opening fence; source line k is file line 6 + k
  });

  it('turns imports into awaited loads on the same lines', () => {
    const result = parseLesson(lesson("\n```js\nimport * as k from '#kernels/index.ts';\nimport {\n  compileVariant,\n} from '#kernels/index.ts';\nk;\n```\n"));
    if (!result.ok) throw new Error(formatLessonErrors('lesson', result.errors));
    const cell = result.lesson.cells[0] as CodeCell;
    expect(cell.body.split('\n')).toEqual([
      'const k = await __import("#kernels/index.ts");',
      'const { compileVariant } = await __import("#kernels/index.ts");',
      '',
      '',
      'k;',
      'return {};',
    ]);
    expect(cell.outputs).toEqual([]); // imports stay inside their cell
  });

  it('reads names from other cells but not its own locals or function parameters', () => {
    const result = parseLesson(lesson('\n```js\nconst f = (x) => { const y = x + z; return y + w; };\n```\n'));
    if (!result.ok) throw new Error(formatLessonErrors('lesson', result.errors));
    const cell = result.lesson.cells[0] as CodeCell;
    expect(cell.inputs.sort()).toEqual(['w', 'z']);
    expect(cell.outputs).toEqual(['f']);
  });

  it('a cell that is one name shows that value: it reads the name (also in parentheses)', () => {
    for (const source of ['pageTable', '(pageTable)']) {
      const result = parseLesson(lesson(`\n\`\`\`js\n${source}\n\`\`\`\n`));
      if (!result.ok) throw new Error(formatLessonErrors('lesson', result.errors));
      const cell = result.lesson.cells[0] as CodeCell;
      expect(cell.inputs).toEqual(['pageTable']);
      expect(cell.outputs).toEqual([]);
    }
  });

  it('formats errors as file:line: message', () => {
    const result = parseLesson('no front matter');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(formatLessonErrors('lessons/x/index.md', result.errors)).toMatch(/^lessons\/x\/index\.md:1: a lesson starts with front matter/);
  });
});
