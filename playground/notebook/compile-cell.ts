/**
 * Turns a cell's JavaScript or TypeScript into the body of an async function, keeping every
 * line where it was so that a runtime error maps back to the lesson's line. Semantics follow
 * Observable Framework: a cell that is one expression displays its value; otherwise its top-level
 * declarations become values other cells read, and what it reads from outside becomes its inputs.
 */
import { Parser, parse, tokTypes, type Node as AcornNode, type Options } from 'acorn';
import type * as ESTree from 'estree';
import { analyze, extract_identifiers, type Scope } from 'periscopic';
import { walk } from 'estree-walker';
import tsBlankSpace from 'ts-blank-space';
import { CELL_HELPERS, RESERVED_NAMES, type CompiledJs } from './cells.ts';

/** An error in a cell, with its 1-based line and column inside the cell's source. */
export interface CellSourceError {
  line: number;
  column: number;
  message: string;
}

export type CompiledCell = { ok: true; js: CompiledJs; outputs: string[] } | { ok: false; error: CellSourceError };

export interface CompileCellOptions {
  lang: 'js' | 'ts';
  /** Module specifiers a cell may import. */
  allowedImports: readonly string[];
  /** A view cell's body must be one expression (the props). */
  expressionOnly?: boolean;
}

const ACORN: Options = { ecmaVersion: 'latest', sourceType: 'module', allowAwaitOutsideFunction: true, locations: true };

const HELPERS = new Set<string>(CELL_HELPERS);

class CellError extends Error {
  constructor(
    readonly line: number,
    readonly column: number,
    message: string,
  ) {
    super(message);
  }
}

export function compileCell(source: string, options: CompileCellOptions): CompiledCell {
  try {
    return compile(source, options);
  } catch (error) {
    if (error instanceof CellError) return { ok: false, error: { line: error.line, column: error.column, message: error.message } };
    throw error;
  }
}

function compile(source: string, options: CompileCellOptions): CompiledCell {
  const js = options.lang === 'ts' ? stripTypes(source) : source;
  const expression = parseWholeExpression(js);
  if (options.expressionOnly && !expression) {
    const program = parseProgram(js); // reports a syntax error, if that is the problem
    throw at(program.body[1] ?? program.body[0] ?? program, 'this cell must be one JavaScript expression (for a view: its props, e.g. { values, rows, cols })');
  }
  const root: ESTree.Node = expression ?? parseProgram(js);
  // periscopic walks a root's children, not the root: a cell that is one bare name (`table`, to
  // show another cell's value) would read nothing. Analyzed as a statement, the name is read.
  const { map, scope, globals } = analyze(expression ? ({ type: 'ExpressionStatement', expression } as ESTree.Node) : root);
  rejectAssignmentsToInputs(root, map, scope);
  rejectDynamicImports(root);

  const imports: { node: ESTree.ImportDeclaration; names: string[] }[] = [];
  if (root.type === 'Program') {
    for (const statement of root.body) {
      if (statement.type === 'ImportDeclaration') {
        const specifier = String(statement.source.value);
        if (!options.allowedImports.includes(specifier)) {
          throw at(statement.source, `a cell can import ${new Intl.ListFormat('en', { type: 'disjunction' }).format(options.allowedImports.map((s) => `'${s}'`))}, not '${specifier}'`);
        }
        imports.push({ node: statement, names: statement.specifiers.map((s) => s.local.name) });
      } else if (statement.type.startsWith('Export')) {
        throw at(statement, 'cells do not export: every top-level declaration is already visible to the other cells');
      }
    }
  }
  const imported = new Set(imports.flatMap((i) => i.names));
  const outputs = root.type === 'Program' ? [...scope.declarations.keys()].filter((name) => !imported.has(name)) : [];
  for (const name of [...outputs, ...imported]) {
    if (RESERVED_NAMES.includes(name)) {
      const declaration = scope.declarations.get(name)!;
      const node = findIdentifier(declaration, name) ?? declaration;
      throw at(node, `'${name}' is provided by the notebook (${describeReserved(name)}); pick another name`);
    }
  }
  const inputs = [...globals.keys()].filter((name) => !HELPERS.has(name));

  let body: string;
  if (expression) {
    // The closing parenthesis goes on a line of its own: the expression may end in a // comment.
    body = `return (${js}\n)`;
  } else {
    body = js;
    for (const { node } of [...imports].reverse()) body = body.slice(0, start(node)) + importAsAwait(node, js) + body.slice(end(node));
    body += `\nreturn {${outputs.join(', ')}};`;
  }
  return {
    ok: true,
    js: { expression: expression !== undefined, body, inputs, imports: imports.map((i) => String(i.node.source.value)) },
    outputs,
  };
}

/** TypeScript to JavaScript by blanking out the types, so that lines and columns do not move. */
function stripTypes(source: string): string {
  let unsupported: CellError | undefined;
  const js = tsBlankSpace(source, (node) => {
    const position = lineColumn(source, node.pos + (/^\s*/.exec(source.slice(node.pos))?.[0].length ?? 0));
    unsupported ??= new CellError(position.line, position.column, 'this TypeScript has run-time meaning (an enum, a namespace, a parameter property): write it in plain JavaScript');
  });
  if (unsupported) throw unsupported;
  return js;
}

/** The expression, if the whole source is one (comments and whitespace around it allowed). */
function parseWholeExpression(js: string): ESTree.Expression | undefined {
  if (!js.trim()) return undefined;
  try {
    // acorn's parser driven by hand, as Observable Framework does: after the first expression,
    // the next token says whether anything but whitespace and comments follows.
    const ExpressionParser = Parser as unknown as new (options: Options, input: string, start: number) => {
      nextToken(): void;
      parseExpression(): AcornNode;
      type: unknown;
    };
    const parser = new ExpressionParser(ACORN, js, 0);
    parser.nextToken();
    const node = parser.parseExpression();
    return parser.type === tokTypes.eof ? (node as unknown as ESTree.Expression) : undefined;
  } catch {
    return undefined;
  }
}

function parseProgram(js: string): ESTree.Program {
  try {
    return parse(js, ACORN) as unknown as ESTree.Program;
  } catch (error) {
    if (error instanceof SyntaxError && 'loc' in error) {
      const loc = error.loc as { line: number; column: number };
      throw new CellError(loc.line, loc.column + 1, `syntax error: ${error.message.replace(/ \(\d+:\d+\)$/, '')}`);
    }
    throw error;
  }
}

/** A cell reads other cells' values; writing one would only change its own copy, silently. */
function rejectAssignmentsToInputs(root: ESTree.Node, map: WeakMap<ESTree.Node, Scope>, top: Scope) {
  let scope = top;
  walk(root, {
    enter(node) {
      const inner = map.get(node);
      if (inner) scope = inner;
      const targets =
        node.type === 'AssignmentExpression' ? extract_identifiers(node.left) : node.type === 'UpdateExpression' ? extract_identifiers(node.argument) : [];
      for (const target of targets) {
        if (!scope.find_owner(target.name)) {
          throw at(target, `'${target.name}' is not declared in this cell: a cell can read another cell's value but not assign to it; declare a new name instead`);
        }
      }
    },
    leave(node) {
      if (map.get(node)) scope = scope.parent ?? top;
    },
  });
}

function rejectDynamicImports(root: ESTree.Node) {
  walk(root, {
    enter(node) {
      if (node.type === 'ImportExpression') throw at(node, "use a static import at the top of the cell (import { … } from '…'), not import()");
    },
  });
}

/** `import { a as b } from 'm'` → `const { a: b } = await __import('m');`, on as many lines as the original. */
function importAsAwait(node: ESTree.ImportDeclaration, js: string): string {
  const named: string[] = [];
  let namespace: string | undefined;
  for (const s of node.specifiers) {
    if (s.type === 'ImportNamespaceSpecifier') namespace = s.local.name;
    else if (s.type === 'ImportDefaultSpecifier') named.push(`default: ${s.local.name}`);
    else {
      const imported = s.imported.type === 'Identifier' ? s.imported.name : String(s.imported.value);
      named.push(imported === s.local.name ? imported : `${/^[A-Za-z_$][\w$]*$/.test(imported) ? imported : JSON.stringify(imported)}: ${s.local.name}`);
    }
  }
  const load = `await __import(${JSON.stringify(node.source.value)})`;
  const statements = [namespace ? `const ${namespace} = ${load};` : '', named.length ? `const { ${named.join(', ')} } = ${load};` : ''];
  const lines = js.slice(start(node), end(node)).split('\n').length;
  return statements.filter(Boolean).join(' ') + '\n'.repeat(lines - 1);
}

function findIdentifier(root: ESTree.Node, name: string): ESTree.Node | undefined {
  let found: ESTree.Node | undefined;
  walk(root, {
    enter(node) {
      if (!found && node.type === 'Identifier' && node.name === name) found = node;
    },
  });
  return found;
}

function describeReserved(name: string): string {
  if (HELPERS.has(name)) return 'a helper every cell can call';
  if (name === 'engine') return 'the attention engine of this page';
  return 'the runtime uses it';
}

function start(node: ESTree.Node): number {
  return (node as unknown as AcornNode).start;
}

function end(node: ESTree.Node): number {
  return (node as unknown as AcornNode).end;
}

function at(node: ESTree.Node, message: string): CellError {
  const loc = node.loc?.start ?? { line: 1, column: 0 };
  return new CellError(loc.line, loc.column + 1, message);
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before[before.length - 1].length + 1 };
}
