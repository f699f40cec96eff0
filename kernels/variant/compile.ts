import { fnv1a } from '../hash.ts';
import { VariantError, type Diagnostic } from './diagnostics.ts';
import { emitJsHooks } from './emit-js.ts';
import { emitWgslHooks } from './emit-wgsl.ts';
import type { HelperIR, HookIR, HookName, TensorType, VariantIR } from './ir.ts';
import { closest, HOOK_NAMES, MATH } from './language.ts';
import { describeNode, fail, type ModuleScope } from './lower.ts';
import { lowerHelper, lowerHook } from './lower-functions.ts';
import { parseVariant, type AstNode } from './parse.ts';

/** The JS hooks the CPU reference calls; vector hooks compute one element (`dim`) of the new vector. */
export interface JsHooks {
  logitsTransform?(logit: number, idx: JsIdx): number;
  logitsMask?(idx: JsIdx): boolean;
  queryTransform?(vec: ArrayLike<number>, idx: JsIdx, dim: number): number;
  keyTransform?(vec: ArrayLike<number>, idx: JsIdx, dim: number): number;
  valueTransform?(vec: ArrayLike<number>, idx: JsIdx, dim: number): number;
  outputTransform?(vec: ArrayLike<number>, idx: JsIdx, dim: number): number;
}

export interface JsIdx {
  batch: number;
  qo: number;
  kv: number;
  qoHead: number;
  kvHead: number;
  qoLen: number;
  kvLen: number;
}

/** An index a hook read outside a tensor or vector: the GPU clamps it, the CPU run reports it. */
export interface RangeReport {
  what: string;
  index: number;
  length: number;
  /** How many reads were out of range in all. */
  count: number;
}

export interface HookEnv {
  vars: Record<string, number>;
  tensors: Record<string, ArrayLike<number>>;
  headDim: number;
}

export interface CompiledVariant {
  source: string;
  ir: VariantIR;
  /** The hooks in WGSL, included by every kernel template at its `// @hooks` line. */
  wgsl: string;
  /** The hooks in JS (the body of `function (env)`), run by the CPU reference. */
  js: string;
  /** Hash of everything in the variant that changes GPU code. */
  hash: string;
  useSoftmax: boolean;
  smScale: number | undefined;
  /** Milliseconds spent parsing, checking and emitting both targets. */
  codegenMs: number;
  /** JS hooks bound to var values and tensors; `reports` collects out-of-range reads. */
  instantiate(env: HookEnv): { hooks: JsHooks; reports: RangeReport[] };
}

export type CompileResult = { ok: true; variant: CompiledVariant } | { ok: false; errors: Diagnostic[] };

/** Marks a helper whose own error was already recorded, so callers do not report it again. */
class AlreadyReported extends Error {}

const EXPORTS = ['useSoftmax', 'smScale', 'vars', 'tensors', ...HOOK_NAMES];

export function compileVariant(source: string): CompileResult {
  const started = performance.now();
  const parsed = parseVariant(source);
  if (!parsed.ok) return { ok: false, errors: [parsed.error] };
  const errors: Diagnostic[] = [];
  const record = (error: unknown) => {
    if (error instanceof AlreadyReported) return;
    if (!(error instanceof VariantError)) throw error;
    const d = error.toDiagnostic();
    if (!errors.some((e) => e.line === d.line && e.column === d.column && e.message === d.message)) errors.push(d);
  };

  const ir: VariantIR = { useSoftmax: true, smScale: undefined, vars: [], tensors: [], helpers: [], hooks: {} };
  const hookNodes = new Map<HookName, AstNode>();
  const helperNodes = new Map<string, AstNode>();
  for (const statement of parsed.program.body as AstNode[]) {
    try {
      topLevel(statement, ir, hookNodes, helperNodes);
    } catch (error) {
      record(error);
    }
  }

  const helpers = new Map<string, HelperIR | 'lowering' | 'failed'>();
  const module: ModuleScope = {
    vars: new Map(ir.vars.map((v) => [v.name, v.type === 'f32' ? 'f32' : 'i32'])),
    tensors: new Map(ir.tensors.map((t) => [t.name, t.type === 'f32' ? 'f32' : 'i32'])),
    helperNames: [...helperNodes.keys()],
    helper(name, at) {
      const node = helperNodes.get(name);
      if (!node) return undefined;
      const state = helpers.get(name);
      if (state === 'lowering') fail(at, `\`${name}\` calls itself (directly or through other functions); kernels cannot recurse, so rewrite it with a loop.`);
      if (state === 'failed') throw new AlreadyReported();
      if (state) return state;
      helpers.set(name, 'lowering');
      try {
        const helper = lowerHelper(node, module);
        helpers.set(name, helper);
        return helper;
      } catch (error) {
        helpers.set(name, 'failed');
        record(error);
        throw new AlreadyReported();
      }
    },
  };
  for (const [name, node] of hookNodes) {
    try {
      ir.hooks[name] = lowerHook(node, name, module) satisfies HookIR;
    } catch (error) {
      record(error);
    }
  }
  for (const [name, node] of helperNodes) {
    try {
      module.helper(name, node);
    } catch (error) {
      record(error);
    }
  }
  if (errors.length) return { ok: false, errors: errors.sort((a, b) => a.line - b.line || a.column - b.column) };

  // Helpers in the order they finished lowering: callees before callers.
  ir.helpers = [...helpers.values()].filter((h): h is HelperIR => typeof h === 'object');
  const wgsl = emitWgslHooks(ir);
  const js = emitJsHooks(ir);
  const factory = new Function('env', js) as (env: unknown) => JsHooks;
  const codegenMs = performance.now() - started;
  return {
    ok: true,
    variant: {
      source, ir, wgsl, js, hash: fnv1a(wgsl), useSoftmax: ir.useSoftmax, smScale: ir.smScale, codegenMs,
      instantiate: (env) => instantiate(ir, factory, env),
    },
  };
}

function topLevel(statement: AstNode, ir: VariantIR, hookNodes: Map<HookName, AstNode>, helperNodes: Map<string, AstNode>): void {
  switch (statement.type) {
    case 'ExportNamedDeclaration': {
      const declaration = statement.declaration;
      if (!declaration) fail(statement, 'Export declarations directly, e.g. `export function logitsTransform(...)`.');
      if (declaration.type === 'TSTypeAliasDeclaration' || declaration.type === 'TSInterfaceDeclaration') return;
      if (declaration.type === 'FunctionDeclaration') {
        const name: string = declaration.id.name;
        if (!(HOOK_NAMES as string[]).includes(name)) {
          const suggestion = closest(name, HOOK_NAMES);
          fail(declaration.id, `\`${name}\` is not a hook.${suggestion ? ` Did you mean \`${suggestion}\`?` : ` The hooks are ${HOOK_NAMES.join(', ')}.`}`);
        }
        hookNodes.set(name as HookName, declaration);
        return;
      }
      if (declaration.type === 'VariableDeclaration') {
        if (declaration.kind !== 'const') fail(declaration, 'Exports of a variant are `const`.');
        for (const declarator of declaration.declarations) exportedConst(declarator, ir);
        return;
      }
      return fail(declaration, `${describeNode(declaration)} cannot be exported from a variant.`);
    }
    case 'FunctionDeclaration': {
      const name: string = statement.id.name;
      if ((HOOK_NAMES as string[]).includes(name)) fail(statement.id, `Export the hook so the kernel can find it: \`export function ${name}(...)\`.`);
      if (statement.async || statement.generator) fail(statement, `\`${name}\` must be a plain function (not async or a generator).`);
      helperNodes.set(name, statement);
      return;
    }
    case 'TSTypeAliasDeclaration':
    case 'TSInterfaceDeclaration':
    case 'EmptyStatement':
      return;
    case 'ImportDeclaration':
      return fail(statement, 'Variants cannot import; idx, vars, tensors and Math are already in scope.');
    case 'ExportDefaultDeclaration':
      return fail(statement, 'Variants export named things (hooks, vars, tensors, useSoftmax, smScale), not a default.');
    case 'VariableDeclaration':
      return fail(statement, 'Top-level values must be exports (useSoftmax, smScale, vars, tensors); put other constants inside the function or in vars.');
    default:
      return fail(statement, `${describeNode(statement)} is not allowed at the top level of a variant.`);
  }
}

function exportedConst(declarator: AstNode, ir: VariantIR): void {
  const name: string = declarator.id.name;
  const init: AstNode = declarator.init;
  switch (name) {
    case 'useSoftmax':
      if (init?.type !== 'Literal' || typeof init.value !== 'boolean') fail(init ?? declarator, '`useSoftmax` is `true` or `false`.');
      ir.useSoftmax = init.value;
      return;
    case 'smScale': {
      const value = constantNumber(init);
      if (!(value > 0) || !Number.isFinite(value)) fail(init, '`smScale` must be a positive number.');
      ir.smScale = value;
      return;
    }
    case 'vars':
      if (init?.type !== 'ObjectExpression') fail(init ?? declarator, '`vars` is an object of defaults: `{ scale: 1.0, window: 64 as i32 }`.');
      for (const property of init.properties) {
        const key = propertyName(property);
        let value: AstNode = property.value;
        let type: 'f32' | 'i32' | 'u32' = 'f32';
        if (value.type === 'TSAsExpression') {
          const typeName = value.typeAnnotation.typeName?.name;
          if (typeName !== 'i32' && typeName !== 'u32' && typeName !== 'f32') fail(value.typeAnnotation, 'A var is `f32` (the default), `i32` or `u32`: write `64 as i32`.');
          type = typeName;
          value = value.expression;
        }
        const defaultValue = constantNumber(value);
        if (type !== 'f32' && (!Number.isInteger(defaultValue) || (type === 'u32' && defaultValue < 0))) {
          fail(value, `\`${key}\` is ${type}, so its default must be a whole number${type === 'u32' ? ' ≥ 0' : ''}.`);
        }
        ir.vars.push({ name: key, type, defaultValue });
      }
      return;
    case 'tensors':
      if (init?.type !== 'ObjectExpression') fail(init ?? declarator, "`tensors` names each tensor and its element type: `{ slopes: 'f32' }`.");
      for (const property of init.properties) {
        const key = propertyName(property);
        const value = property.value;
        if (value.type !== 'Literal' || !['f32', 'i32', 'u32'].includes(value.value)) fail(value, "A tensor's type is 'f32', 'i32' or 'u32'.");
        ir.tensors.push({ name: key, type: value.value as TensorType });
      }
      return;
    default: {
      const suggestion = closest(name, EXPORTS);
      fail(declarator.id, `\`${name}\` is not something a variant exports.${suggestion ? ` Did you mean \`${suggestion}\`?` : ` It may export ${EXPORTS.join(', ')}.`}`);
    }
  }
}

function propertyName(property: AstNode): string {
  if (property.type !== 'Property' || property.computed || property.kind !== 'init' || property.method) {
    fail(property, 'Write each entry as `name: value`.');
  }
  const key = property.key.type === 'Identifier' ? property.key.name : String(property.key.value);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) fail(property.key, `\`${key}\`: names in a variant use only ASCII letters, digits and _.`);
  return key;
}

/** Folds a constant number expression: literals, + - * / and Math functions of constants. */
function constantNumber(node: AstNode | undefined): number {
  if (!node) return fail(node, 'A number is needed here.');
  switch (node.type) {
    case 'Literal':
      if (typeof node.value === 'number') return node.value;
      break;
    case 'UnaryExpression':
      if (node.operator === '-') return -constantNumber(node.argument);
      break;
    case 'BinaryExpression': {
      const [a, b] = [constantNumber(node.left), constantNumber(node.right)];
      const ops: Record<string, number> = { '+': a + b, '-': a - b, '*': a * b, '/': a / b, '**': a ** b };
      if (node.operator in ops) return ops[node.operator];
      break;
    }
    case 'CallExpression': {
      const callee = node.callee;
      if (callee.type === 'MemberExpression' && callee.object.name === 'Math' && MATH[callee.property.name]) {
        const fn = (Math as unknown as Record<string, (...x: number[]) => number>)[callee.property.name];
        return fn(...node.arguments.map(constantNumber));
      }
      break;
    }
    case 'MemberExpression':
      if (node.object.name === 'Math' && (node.property.name === 'PI' || node.property.name === 'E')) return Math[node.property.name as 'PI' | 'E'];
      break;
  }
  return fail(node, 'This must be a number fixed in the code (literals, + - * / and Math functions of them).');
}

function instantiate(ir: VariantIR, factory: (env: unknown) => JsHooks, env: HookEnv): { hooks: JsHooks; reports: RangeReport[] } {
  const reports: RangeReport[] = [];
  const clampAndReport = (what: string, index: number, length: number): number => {
    if (index >= 0 && index < length) return index;
    const report = reports.find((r) => r.what === what);
    if (report) report.count++;
    else reports.push({ what, index, length, count: 1 });
    return Math.min(Math.max(index, 0), length - 1);
  };
  const runtime: Record<string, unknown> = {
    vars: env.vars,
    headDim: env.headDim,
    vecAt: (vec: ArrayLike<number>, i: number) => vec[clampAndReport('the head vector', i, vec.length)],
  };
  for (const t of ir.tensors) {
    const data = env.tensors[t.name];
    // u32 tensors are read as signed 32-bit, as on the GPU (bitcast<i32>).
    runtime[`tensor_${t.name}`] =
      t.type === 'u32'
        ? (i: number) => data[clampAndReport(`tensors.${t.name}`, i, data.length)] | 0
        : (i: number) => data[clampAndReport(`tensors.${t.name}`, i, data.length)];
  }
  return { hooks: factory(runtime), reports };
}
