import type { Expr, HelperIR, HookIR, HookName, ScalarType, Stmt } from './ir.ts';
import { HOOKS, type HookSignature } from './language.ts';
import { BodyLowerer, checkName, fail, numeric, toF32, TYPE_WORDS, type Binding, type BodyContext, type ModuleScope } from './lower.ts';
import type { AstNode } from './parse.ts';

/** Lowering of whole functions: hooks (scalar and element-wise vector ones) and helpers. */

/** Does every path through `body` end in a return? (Needed: JS would return undefined.) */
function alwaysReturns(body: Stmt[]): boolean {
  const last = body[body.length - 1];
  if (!last) return false;
  if (last.k === 'return') return true;
  if (last.k === 'if') return alwaysReturns(last.then) && alwaysReturns(last.else);
  return false;
}

/** Lowers a function body, restarting when a `let` had to become fractional. */
function lowerBody(
  fn: AstNode,
  module: ModuleScope,
  hook: BodyContext['hook'],
  run: (lowerer: BodyLowerer, ctx: BodyContext) => Stmt[],
): { body: Stmt[]; returnTypes: BodyContext['returnTypes'] } {
  const widened = new Set<string>();
  for (let attempt = 0; ; attempt++) {
    const ctx: BodyContext = { module, hook, widened, restart: false, usedNames: new Map(), returnTypes: [], returnsAllowed: true };
    const body = run(new BodyLowerer(ctx), ctx);
    if (!ctx.restart) return { body, returnTypes: ctx.returnTypes };
    if (attempt > 64) fail(fn, 'This function is too tangled to type; simplify its variables.');
  }
}

function unifyReturn(fn: AstNode, name: string, returns: BodyContext['returnTypes'], expected: ScalarType | undefined): ScalarType {
  const types = returns.map((r) => r.type);
  const wanted = expected ?? (types.includes('bool') ? 'bool' : types.includes('f32') ? 'f32' : 'i32');
  for (const { type, node } of returns) {
    const ok = wanted === 'bool' ? type === 'bool' : type !== 'bool';
    if (!ok) fail(node ?? fn, `\`${name}\` must return ${TYPE_WORDS[wanted]}, but this is ${TYPE_WORDS[type]}.`);
  }
  return wanted;
}

/** Makes every return in `body` produce `type` (whole numbers become f32 where an f32 is returned). */
function coerceReturns(body: Stmt[], type: ScalarType): Stmt[] {
  return body.map((s): Stmt => {
    if (s.k === 'return') return type === 'f32' ? { ...s, value: toF32(s.value) } : s;
    if (s.k === 'if') return { ...s, then: coerceReturns(s.then, type), else: coerceReturns(s.else, type) };
    if (s.k === 'for') return { ...s, body: coerceReturns(s.body, type) };
    return s;
  });
}

function paramName(node: AstNode | undefined, fallback: string): string {
  if (!node) return fallback;
  if (node.type !== 'Identifier') fail(node, 'Parameters are plain names here (no destructuring or defaults).');
  checkName(node, node.name);
  return node.name;
}


const TYPE_ANNOTATIONS: Record<string, ScalarType> = { TSNumberKeyword: 'f32', TSBooleanKeyword: 'bool' };

function annotatedType(param: AstNode): ScalarType {
  const annotation = param.typeAnnotation?.typeAnnotation;
  if (!annotation) fail(param, `Give \`${param.name}\` a type: \`number\`, \`i32\` (whole number) or \`boolean\`.`);
  if (TYPE_ANNOTATIONS[annotation.type]) return TYPE_ANNOTATIONS[annotation.type];
  if (annotation.type === 'TSTypeReference' && annotation.typeName.name === 'i32') return 'i32';
  if (annotation.type === 'TSTypeReference' && annotation.typeName.name === 'f32') return 'f32';
  return fail(annotation, 'Helper parameters are `number`, `i32` or `boolean`.');
}

export function lowerHelper(fn: AstNode, module: ModuleScope): HelperIR {
  const params = fn.params.map((p: AstNode) => ({ name: paramName(p, ''), type: annotatedType(p) }));
  const { body, returnTypes } = lowerBody(fn, module, undefined, (lowerer) =>
    lowerer.withScope(
      params.map((p: { name: string; type: ScalarType }) => [p.name, { ir: p.name, type: p.type, mutable: false }] as [string, Binding]),
      () => lowerer.block(fn.body.body),
    ),
  );
  if (!alwaysReturns(body)) fail(fn, `\`${fn.id.name}\` must end with a return on every path.`);
  const returnType = unifyReturn(fn, fn.id.name, returnTypes, undefined);
  return { name: fn.id.name, params, body: coerceReturns(body, returnType), returnType };
}

export function lowerHook(fn: AstNode, name: HookName, module: ModuleScope): HookIR {
  const signature = HOOKS[name];
  const expectedParams = signature.leading + 1;
  if (fn.params.length > expectedParams) {
    fail(fn.params[expectedParams], `${name} takes ${expectedParams === 1 ? 'one parameter (idx)' : `${expectedParams} parameters`}; remove this one.`);
  }
  const leadingName = signature.leading ? paramName(fn.params[0], '__value') : undefined;
  const idxName = paramName(fn.params[signature.leading], '__idx');
  if (fn.async || fn.generator) fail(fn, `${name} must be a plain function (not async or a generator).`);
  if (signature.kind === 'scalar') {
    const hookInfo = { name, signature, idxName };
    const leading: [string, Binding][] = leadingName ? [[leadingName, { ir: leadingName, type: 'f32', mutable: false }]] : [];
    const { body, returnTypes } = lowerBody(fn, module, hookInfo, (lowerer) => lowerer.withScope(leading, () => lowerer.block(fn.body.body)));
    if (!alwaysReturns(body)) fail(fn, `${name} must end with a return on every path (it runs ${signature.where}).`);
    unifyReturn(fn, name, returnTypes, signature.returns);
    const params = leadingName ? [leadingName, idxName] : [idxName];
    return { name, params, body: coerceReturns(body, signature.returns), returnType: signature.returns };
  }
  return lowerVectorHook(fn, name, signature, leadingName!, idxName, module);
}

/** `return v` or `return v.map((x, d) => ...)`, after any number of scalar statements. */
function lowerVectorHook(fn: AstNode, name: HookName, signature: HookSignature, vectorName: string, idxName: string, module: ModuleScope): HookIR {
  const statements: AstNode[] = fn.body.body;
  const last = statements[statements.length - 1];
  const expected = `${name} must end with \`return ${vectorName}.map((x, d) => ...)\` (or \`return ${vectorName}\`)`;
  if (!last || last.type !== 'ReturnStatement' || !last.argument) fail(last ?? fn, `${expected}.`);
  const value = last.argument;
  const identity = value.type === 'Identifier' && value.name === vectorName;
  const mapped =
    value.type === 'CallExpression' && value.callee.type === 'MemberExpression' && !value.callee.computed &&
    value.callee.object.type === 'Identifier' && value.callee.object.name === vectorName && value.callee.property.name === 'map';
  if (!identity && !mapped) fail(value, `${expected}; it returns a whole vector, one element per dimension.`);
  const arrow = mapped ? value.arguments[0] : undefined;
  if (mapped && (value.arguments.length !== 1 || (arrow.type !== 'ArrowFunctionExpression' && arrow.type !== 'FunctionExpression'))) {
    fail(value, `Give \`.map\` one function: \`${vectorName}.map((x, d) => ...)\`.`);
  }
  if (arrow && arrow.params.length > 2) fail(arrow.params[2], '`.map` passes the element and its dimension; a third parameter is not supported.');
  const element = { value: paramName(arrow?.params[0], '__x'), dim: paramName(arrow?.params[1], '__dim') };
  const hookInfo = { name, signature, idxName, vectorName };
  const { body, returnTypes } = lowerBody(fn, module, hookInfo, (lowerer, ctx) => {
    ctx.returnsAllowed = false;
    const prelude = statements.slice(0, -1);
    return lowerer.withScope([], () => {
      const stmts = lowerer.statements(prelude);
      const dim: Binding = { ir: element.dim, type: 'i32', mutable: false };
      return lowerer.withScope([[element.dim, dim]], () => {
        const current: Expr = { k: 'vecRead', index: { k: 'param', name: element.dim, type: 'i32' }, type: 'f32' };
        if (!arrow) return [...stmts, { k: 'return', value: current } satisfies Stmt];
        ctx.returnsAllowed = true;
        // The element is the vector read at the current dimension: bind its name as a constant.
        const elementLet: Stmt = { k: 'let', name: element.value, init: current, type: 'f32' };
        ctx.usedNames.set(element.value, 1);
        return lowerer.withScope([[element.value, { ir: element.value, type: 'f32', mutable: false }]], () => {
          if (arrow.body.type === 'BlockStatement') {
            const inner = lowerer.block(arrow.body.body);
            if (!alwaysReturns(inner)) fail(arrow, 'The function given to `.map` must return the new element on every path.');
            return [...stmts, elementLet, ...inner];
          }
          const result = numeric(lowerer.expr(arrow.body), arrow.body, 'The new element');
          ctx.returnTypes.push({ type: result.type, node: arrow.body });
          return [...stmts, elementLet, { k: 'return', value: result } satisfies Stmt];
        });
      });
    });
  });
  unifyReturn(arrow ?? fn, name, returnTypes, 'f32');
  return { name, params: [vectorName, idxName], body: coerceReturns(body, 'f32'), returnType: 'f32', element };
}
