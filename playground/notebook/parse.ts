/**
 * A lesson's index.md → typed cells. Pure: the same text always gives the same cells, which is
 * what the golden tests in tests/golden/notebook/ pin down. The syntax is documented in
 * playground/notebook/README.md.
 */
import type { Token } from 'markdown-it';
import { builtinVariant, BUILTIN_VARIANTS } from '#kernels/index.ts';
import { RESERVED_NAMES, type Cell, type EditorCell, type LessonError, type ParseResult } from './cells.ts';
import { compileCell } from './compile-cell.ts';
import { createMarkdown, finishTokens } from './markdown.ts';
import { CELL_MODULE_SPECIFIERS } from './modules.ts';
import { VIEW_NAMES } from './view-names.ts';

export interface ParseOptions {
  /** Module specifiers cells may import; default: those the notebook runtime provides. */
  allowedImports?: readonly string[];
  /** View components a ```view cell may name; default: the notebook's registry. */
  views?: readonly string[];
}

const CELL_KINDS = ['js', 'ts', 'editor', 'view'] as const;
type CellKind = (typeof CELL_KINDS)[number];

const ATTRIBUTES: Record<CellKind, { flags: string[]; keys: string[] }> = {
  js: { flags: ['hide', 'static'], keys: [] },
  ts: { flags: ['hide', 'static'], keys: [] },
  editor: { flags: [], keys: ['name', 'lang', 'builtin', 'label'] },
  view: { flags: [], keys: ['component'] },
};

const FRONT_MATTER_KEYS = ['title', 'summary'];
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

export function parseLesson(markdown: string, options: ParseOptions = {}): ParseResult {
  const allowedImports = options.allowedImports ?? CELL_MODULE_SPECIFIERS;
  const views = options.views ?? VIEW_NAMES;
  const errors: LessonError[] = [];
  const lines = markdown.replace(/\r\n?/g, '\n').split('\n');

  const front = frontMatter(lines, errors);
  // Blank out the front matter rather than cut it, so markdown-it's line numbers are the file's.
  const body = lines.map((line, i) => (i < front.lines ? '' : line)).join('\n');
  const md = createMarkdown();
  const tokens = md.parse(body, {});
  const finished = finishTokens(tokens);
  errors.push(...finished.errors);

  const cells: Cell[] = [];
  const defined = new Map<string, number>(); // name → line that defines it
  const define = (name: string, line: number) => {
    const earlier = defined.get(name);
    if (earlier !== undefined) errors.push({ line, message: `'${name}' is already defined by the cell on line ${earlier}; each name belongs to one cell` });
    else defined.set(name, line);
  };
  let prose: Token[] = [];
  const flushProse = () => {
    const first = prose.find((t) => t.map);
    if (first && prose.some((t) => t.type !== 'html_block' || t.content.trim())) {
      cells.push({ kind: 'prose', id: '', line: first.map![0] + 1, html: md.renderer.render(prose, md.options, {}) });
    }
    prose = [];
  };

  for (const token of tokens) {
    const info = token.type === 'fence' ? parseInfo(token.info) : undefined;
    const isCell = info !== undefined && (CELL_KINDS as readonly string[]).includes(info.kind) && !info.flags.includes('static');
    if (token.type === 'fence') {
      const line = token.map![0] + 1;
      if (!closed(token, lines)) {
        // It swallowed the rest of the file: compiling that as code would only add confusing errors.
        errors.push({ line, message: `this ${token.markup} fence is never closed: end it with a line of ${token.markup}` });
        continue;
      }
      if (info!.error) errors.push({ line, message: info!.error });
      else if (!isCell && Object.keys(info!.attrs).length) {
        errors.push({ line, message: `unknown cell kind '${info!.kind}': a cell is \`\`\`js, \`\`\`ts, \`\`\`editor or \`\`\`view (other fences show code without attributes)` });
      } else if (isCell && token.level > 0) {
        errors.push({ line, message: 'a cell inside a list or a quote does not run: put it at the top level (or mark it `static` to only show it)' });
      }
    }
    if (!isCell || token.level > 0) {
      if (token.type === 'fence' && info?.flags.includes('static')) token.info = info.kind;
      prose.push(token);
      continue;
    }
    flushProse();
    const cell = fencedCell(token, info!, { allowedImports, views, errors, define });
    if (cell) cells.push(cell);
  }
  flushProse();
  cells.forEach((cell, i) => (cell.id = `c${i}`));

  if (errors.length) return { ok: false, errors: errors.sort((a, b) => a.line - b.line) };
  return { ok: true, lesson: { title: front.title, summary: front.summary, toc: finished.toc, cells } };
}

/** `file:line: message`, one per line, for a build log. */
export function formatLessonErrors(file: string, errors: LessonError[]): string {
  return errors.map((e) => `${file}:${e.line}: ${e.message}`).join('\n');
}

interface Info {
  kind: string;
  flags: string[];
  attrs: Record<string, string>;
  error?: string;
}

/** The info string: a kind, then bare flags and `key=value` or `key="value with spaces"` attributes. */
function parseInfo(text: string): Info {
  const words = [...text.trim().matchAll(/([\w-]+)=(?:"([^"]*)"|(\S+))|(\S+)/g)];
  const kind = words[0]?.[4] ?? '';
  const info: Info = { kind, flags: [], attrs: {} };
  if (!(CELL_KINDS as readonly string[]).includes(kind)) {
    for (const w of words.slice(1)) if (w[1]) info.attrs[w[1]] = w[2] ?? w[3];
    return info;
  }
  const allowed = ATTRIBUTES[kind as CellKind];
  for (const w of words.slice(1)) {
    if (w[4] !== undefined) {
      if (!allowed.flags.includes(w[4])) return { ...info, error: `unknown flag '${w[4]}' on a ${kind} cell${list(' (flags: ', allowed.flags, ')')}` };
      info.flags.push(w[4]);
    } else {
      if (!allowed.keys.includes(w[1])) {
        const known = allowed.keys.length ? ` (attributes: ${allowed.keys.join(', ')})` : ` (a ${kind} cell takes no attributes, only the flags ${allowed.flags.join(', ')})`;
        return { ...info, error: `unknown attribute '${w[1]}' on a ${kind} cell${known}` };
      }
      if (w[1] in info.attrs) return { ...info, error: `attribute '${w[1]}' is given twice` };
      info.attrs[w[1]] = w[2] ?? w[3];
    }
  }
  return info;
}

function list(before: string, items: string[], after: string): string {
  return items.length ? `${before}${items.join(', ')}${after}` : '';
}

interface CellContext {
  allowedImports: readonly string[];
  views: readonly string[];
  errors: LessonError[];
  define: (name: string, line: number) => void;
}

function fencedCell(token: Token, info: Info, context: CellContext): Cell | undefined {
  const line = token.map![0] + 1;
  const source = token.content.replace(/\n$/, '');
  const { errors } = context;
  const cellError = (e: { line: number; column: number; message: string }) =>
    errors.push({ line: line + e.line, message: `${e.message} (column ${e.column})` });

  if (info.kind === 'js' || info.kind === 'ts') {
    const compiled = compileCell(source, { lang: info.kind, allowedImports: context.allowedImports });
    if (!compiled.ok) return void cellError(compiled.error);
    for (const name of compiled.outputs) context.define(name, line);
    return { kind: 'code', id: '', line, lang: info.kind, source, echo: !info.flags.includes('hide'), outputs: compiled.outputs, ...compiled.js };
  }

  if (info.kind === 'view') {
    const component = info.attrs.component;
    if (!component) return void errors.push({ line, message: `a view cell names its component: \`\`\`view component=${context.views[0] ?? 'Name'}` });
    if (!context.views.includes(component)) return void errors.push({ line, message: `unknown view component '${component}' (views: ${context.views.join(', ')})` });
    const compiled = compileCell(source, { lang: 'ts', allowedImports: [], expressionOnly: true });
    if (!compiled.ok) return void cellError(compiled.error);
    return { kind: 'view', id: '', line, component, source, ...compiled.js };
  }

  // editor
  const { name, builtin } = info.attrs;
  const lang = (info.attrs.lang ?? 'variant') as EditorCell['lang'];
  if (!name || !IDENTIFIER.test(name)) return void errors.push({ line, message: 'an editor cell needs name=identifier: its text becomes the value of that name' });
  if (RESERVED_NAMES.includes(name)) return void errors.push({ line, message: `'${name}' is provided by the notebook; give the editor another name` });
  if (!['variant', 'ts', 'js'].includes(lang)) return void errors.push({ line, message: `an editor's lang is variant, ts or js, not '${lang}'` });
  let value = source;
  if (builtin !== undefined) {
    if (source.trim()) return void errors.push({ line, message: 'an editor starts from builtin=… or from its body, not both' });
    if (!BUILTIN_VARIANTS.some((b) => b.id === builtin)) {
      return void errors.push({ line, message: `unknown built-in variant '${builtin}' (built-ins: ${BUILTIN_VARIANTS.map((b) => b.id).join(', ')})` });
    }
    value = builtinVariant(builtin).source;
  }
  context.define(name, line);
  return { kind: 'editor', id: '', line, name, lang, value, label: info.attrs.label ?? `Editor: ${name}` };
}

/** Whether a fence has its closing line: markdown-it runs an unclosed fence to the end of the file. */
function closed(token: Token, lines: string[]): boolean {
  const [open, end] = token.map!;
  if (end - 1 <= open) return false;
  const last = lines[end - 1]?.trim() ?? '';
  return last.length >= token.markup.length && [...last].every((c) => c === token.markup[0]);
}

function frontMatter(lines: string[], errors: LessonError[]): { title: string; summary: string; lines: number } {
  const result = { title: '', summary: '', lines: 0 };
  if (lines[0]?.trim() !== '---') {
    errors.push({ line: 1, message: 'a lesson starts with front matter: a line ---, then title: … and summary: …, then ---' });
    return result;
  }
  const close = lines.findIndex((line, i) => i > 0 && line.trim() === '---');
  if (close === -1) {
    errors.push({ line: 1, message: 'the front matter is never closed: end it with a line ---' });
    return result;
  }
  const seen: Record<string, string> = {};
  for (let i = 1; i < close; i++) {
    if (!lines[i].trim()) continue;
    const match = /^(\w+):\s*(.*)$/.exec(lines[i]);
    if (!match || !FRONT_MATTER_KEYS.includes(match[1])) {
      errors.push({ line: i + 1, message: `front matter lines are ${FRONT_MATTER_KEYS.map((k) => `${k}: …`).join(' or ')}` });
      continue;
    }
    seen[match[1]] = match[2].trim();
  }
  for (const key of FRONT_MATTER_KEYS) if (!seen[key]) errors.push({ line: 1, message: `the front matter has no '${key}: …' line` });
  return { title: seen.title ?? '', summary: seen.summary ?? '', lines: close + 1 };
}
