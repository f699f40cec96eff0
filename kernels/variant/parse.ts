import { Parser } from 'acorn';
import { tsPlugin } from '@sveltejs/acorn-typescript';
import type { Diagnostic } from './diagnostics.ts';

/** An ESTree node as acorn produces it; the checker reads the fields it expects for each `type`. */
export interface AstNode {
  type: string;
  loc: { start: { line: number; column: number }; end: { line: number; column: number } };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [field: string]: any;
}

const TypeScriptParser = Parser.extend(tsPlugin());

/** Parses variant source as a TypeScript module; a syntax error becomes one diagnostic. */
export function parseVariant(source: string): { ok: true; program: AstNode } | { ok: false; error: Diagnostic } {
  try {
    const program = TypeScriptParser.parse(source, { sourceType: 'module', ecmaVersion: 'latest', locations: true });
    return { ok: true, program: program as unknown as AstNode };
  } catch (error) {
    const e = error as SyntaxError & { loc?: { line: number; column: number } };
    const line = e.loc?.line ?? 1;
    const column = (e.loc?.column ?? 0) + 1;
    const message = e.message.replace(/\s*\(\d+:\d+\)$/, '');
    return {
      ok: false,
      error: { line, column, endLine: line, endColumn: column + 1, message: `Syntax error: ${message}.` },
    };
  }
}
