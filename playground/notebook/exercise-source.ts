/**
 * What an exercise's source holds, and how it is read without running it. A source may hold a
 * variant (hooks for `compileVariant`) and answers: `export const name = <literal>;` declarations
 * of whole numbers or arrays of them (a predicted block count, a BSR `indptr`). Answers are read
 * from the syntax tree, never evaluated, and blanked out (same lines and columns) before the rest
 * is compiled as a variant, so a diagnostic's position is the learner's.
 */
import { Parser } from 'acorn';
import { tsPlugin } from '@sveltejs/acorn-typescript';
import { compileVariant, type CompiledVariant, type Diagnostic } from '#kernels/index.ts';
import { compileProgram } from './program.ts';

export interface AnswerSpec {
  name: string;
  /** `count`: one whole number ≥ 0; `counts`: an array of them. */
  kind: 'count' | 'counts';
}

export interface SourceFormat {
  /** True when the source holds a variant's hooks; false for answers only (or a program). */
  variant: boolean;
  answers: AnswerSpec[];
  /** The source is a program (TypeScript run in a sandbox, `program.ts`) exporting these functions. */
  program?: { exports: string[] };
}

/** The format of lesson 1's exercises: a variant and nothing else. */
export const VARIANT_ONLY: SourceFormat = { variant: true, answers: [] };

export type AnswerValue = number | number[];

export type ReadSource =
  | { ok: true; variant?: CompiledVariant; answers: Record<string, AnswerValue>; /** A program's compiled JavaScript. */ program?: string }
  | { ok: false; diagnostics: Diagnostic[] };

interface Node {
  type: string;
  start: number;
  end: number;
  loc: { start: { line: number; column: number }; end: { line: number; column: number } };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [field: string]: any;
}

const TypeScriptParser = Parser.extend(tsPlugin());

function diagnostic(node: Pick<Node, 'loc'>, message: string): Diagnostic {
  return { line: node.loc.start.line, column: node.loc.start.column + 1, endLine: node.loc.end.line, endColumn: node.loc.end.column + 1, message };
}

/** Reads a whole number literal (`3`, not `-3`, `1.5` or `2 + 1`). */
function count(node: Node, name: string): number | Diagnostic {
  if (node.type === 'Literal' && typeof node.value === 'number' && Number.isInteger(node.value) && node.value >= 0) return node.value;
  if (node.type === 'TSAsExpression' || node.type === 'TSSatisfiesExpression') return count(node.expression, name);
  if (node.type === 'UnaryExpression' && node.operator === '-' && node.argument.type === 'Literal') {
    return diagnostic(node, `\`${name}\` holds whole numbers from 0 up; a negative number is not one.`);
  }
  return diagnostic(node, `\`${name}\` holds whole numbers written out (like 0, 3 or 12), not an expression: it is read, not run.`);
}

function answerValue(init: Node | null, spec: AnswerSpec, declaration: Node): AnswerValue | Diagnostic {
  if (!init) return diagnostic(declaration, `\`${spec.name}\` needs a value.`);
  if (spec.kind === 'count') return count(init, spec.name);
  const node = init.type === 'TSAsExpression' || init.type === 'TSSatisfiesExpression' ? init.expression : init;
  if (node.type !== 'ArrayExpression') return diagnostic(init, `\`${spec.name}\` is an array of whole numbers, like [0, 2, 3].`);
  const values: number[] = [];
  for (const element of node.elements as (Node | null)[]) {
    if (!element) return diagnostic(node, `\`${spec.name}\` has an empty slot (two commas in a row).`);
    const value = count(element, spec.name);
    if (typeof value !== 'number') return value;
    values.push(value);
  }
  return values;
}

/**
 * Reads an exercise's source: its answers, then (when the format has one) its variant, compiled
 * with the answers' declarations blanked out. Errors are diagnostics with the learner's lines.
 */
export function readSource(source: string, format: SourceFormat): ReadSource {
  if (format.answers.length === 0 && !format.program) {
    if (!format.variant) return { ok: true, answers: {} };
    const compiled = compileVariant(source);
    return compiled.ok ? { ok: true, variant: compiled.variant, answers: {} } : { ok: false, diagnostics: compiled.errors };
  }
  let program: Node;
  try {
    program = TypeScriptParser.parse(source, { sourceType: 'module', ecmaVersion: 'latest', locations: true }) as unknown as Node;
  } catch (error) {
    const e = error as SyntaxError & { loc?: { line: number; column: number } };
    const line = e.loc?.line ?? 1;
    const column = (e.loc?.column ?? 0) + 1;
    return { ok: false, diagnostics: [{ line, column, endLine: line, endColumn: column + 1, message: `Syntax error: ${e.message.replace(/\s*\(\d+:\d+\)$/, '')}.` }] };
  }
  const wanted = new Map(format.answers.map((a) => [a.name, a]));
  const answers: Record<string, AnswerValue> = {};
  const diagnostics: Diagnostic[] = [];
  let rest = source;
  for (const statement of program.body as Node[]) {
    const declaration = statement.type === 'ExportNamedDeclaration' ? statement.declaration : undefined;
    if (declaration?.type !== 'VariableDeclaration') continue;
    const names = (declaration.declarations as Node[]).map((d) => (d.id.type === 'Identifier' ? (d.id.name as string) : ''));
    if (!names.some((name) => wanted.has(name))) continue;
    if (names.length > 1) {
      diagnostics.push(diagnostic(declaration, 'Declare each answer in its own `export const` line.'));
      continue;
    }
    const spec = wanted.get(names[0])!;
    if (spec.name in answers) {
      diagnostics.push(diagnostic(declaration, `\`${spec.name}\` is declared twice.`));
      continue;
    }
    const value = answerValue(declaration.declarations[0].init, spec, declaration);
    if (typeof value === 'object' && !Array.isArray(value)) diagnostics.push(value);
    else answers[spec.name] = value;
    rest = rest.slice(0, statement.start) + rest.slice(statement.start, statement.end).replace(/[^\n]/g, ' ') + rest.slice(statement.end);
  }
  for (const spec of format.answers) {
    if (!(spec.name in answers) && !diagnostics.some((d) => d.message.includes(`\`${spec.name}\``))) {
      const end = program.loc.end;
      diagnostics.push({ line: end.line, column: end.column + 1, endLine: end.line, endColumn: end.column + 1, message: `Your code has no answer \`export const ${spec.name} = ...;\`.` });
    }
  }
  if (format.program) return readProgram(source, program, format.program.exports, answers, diagnostics);
  if (!format.variant) {
    const other = (program.body as Node[]).find((s) => s.start !== s.end && rest.slice(s.start, s.end).trim() !== '');
    if (other) diagnostics.push(diagnostic(other, `Only the answers (${format.answers.map((a) => `\`${a.name}\``).join(', ')}) belong here; this exercise runs no code.`));
    return diagnostics.length ? { ok: false, diagnostics } : { ok: true, answers };
  }
  const compiled = compileVariant(rest);
  if (!compiled.ok) diagnostics.push(...compiled.errors);
  if (diagnostics.length || !compiled.ok) return { ok: false, diagnostics: diagnostics.sort((a, b) => a.line - b.line || a.column - b.column) };
  return { ok: true, variant: compiled.variant, answers };
}

/** A program's checks before it is compiled: it imports nothing and exports each wanted function. */
function readProgram(source: string, program: Node, wanted: string[], answers: Record<string, AnswerValue>, diagnostics: Diagnostic[]): ReadSource {
  const exported = new Set<string>();
  for (const statement of program.body as Node[]) {
    if (statement.type === 'ImportDeclaration') {
      diagnostics.push(diagnostic(statement, 'This code runs on its own: it imports nothing (everything it needs is passed to it).'));
    }
    const declaration = statement.type === 'ExportNamedDeclaration' ? statement.declaration : undefined;
    // `export { schedule }` (a list without a source) exports names declared elsewhere in the file.
    if (statement.type === 'ExportNamedDeclaration' && !statement.declaration && !statement.source) {
      for (const specifier of statement.specifiers as Node[]) exported.add(specifier.exported.name ?? specifier.exported.value);
    }
    if (declaration?.type === 'FunctionDeclaration') exported.add(declaration.id.name);
    if (declaration?.type === 'VariableDeclaration') {
      for (const d of declaration.declarations as Node[]) {
        if (d.id.type === 'Identifier' && /FunctionExpression$/.test(d.init?.type ?? '')) exported.add(d.id.name);
      }
    }
  }
  for (const name of wanted) {
    if (!exported.has(name)) {
      const end = program.loc.end;
      diagnostics.push({ line: end.line, column: end.column + 1, endLine: end.line, endColumn: end.column + 1, message: `Your code has no \`export function ${name}(...) { ... }\`.` });
    }
  }
  const compiled = compileProgram(source);
  if (!compiled.ok) diagnostics.push(...compiled.diagnostics);
  if (diagnostics.length || !compiled.ok) return { ok: false, diagnostics: diagnostics.sort((a, b) => a.line - b.line || a.column - b.column) };
  return { ok: true, answers, program: compiled.js };
}
