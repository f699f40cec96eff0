import { VariantError } from './diagnostics.ts';
import type { BinaryOp, Expr, HelperIR, HookName, IdxField, ScalarType, Stmt } from './ir.ts';
import { IDX_FIELDS } from './ir.ts';
import { closest, MATH, MAX_STATIC_ITERATIONS, type HookSignature } from './language.ts';
import type { AstNode } from './parse.ts';

/** What a function body may refer to besides its own locals. */
export interface ModuleScope {
  vars: Map<string, 'f32' | 'i32'>;
  tensors: Map<string, 'f32' | 'i32'>;
  /** Lowers a helper on first use (and reports recursion); returns its signature. */
  helper(name: string, at: AstNode): HelperIR | undefined;
  helperNames: string[];
}

export interface Binding {
  ir: string;
  type: ScalarType;
  mutable: boolean;
  loopCounter?: boolean;
}

export interface BodyContext {
  module: ModuleScope;
  hook?: { name: HookName; signature: HookSignature; idxName?: string; vectorName?: string };
  /** Local names declared with `let` whose type turned out fractional on assignment. */
  widened: Set<string>;
  /** Set when a widening was discovered: lowering restarts with it. */
  restart: boolean;
  usedNames: Map<string, number>;
  returnTypes: { type: ScalarType; node: AstNode }[];
  returnsAllowed: boolean;
}

const BINARY: Record<string, BinaryOp | undefined> = {
  '+': '+', '-': '-', '*': '*', '/': '/', '%': '%', '**': '**',
  '<': '<', '<=': '<=', '>': '>', '>=': '>=', '==': '==', '===': '==', '!=': '!=', '!==': '!=',
  '&': '&', '|': '|', '^': '^', '<<': '<<', '>>': '>>',
};
const COMPARISONS = new Set(['<', '<=', '>', '>=', '==', '!=']);
const BITWISE = new Set(['&', '|', '^', '<<', '>>']);
const COMPOUND: Record<string, BinaryOp> = { '+=': '+', '-=': '-', '*=': '*', '/=': '/', '%=': '%' };

export const TYPE_WORDS: Record<ScalarType, string> = { f32: 'a number', i32: 'a whole number (i32)', bool: 'a boolean' };

export function fail(node: AstNode | undefined, message: string): never {
  throw new VariantError(node, message);
}

/** Whole-number literal in the source (`3`, not `3.0`): stays i32 until it meets a fractional value. */
function isWholeLiteral(node: AstNode): boolean {
  return node.type === 'Literal' && typeof node.value === 'number' && Number.isInteger(node.value) && !/[.eE]/.test(node.raw);
}

export function toF32(e: Expr): Expr {
  if (e.type === 'f32') return e;
  if (e.k === 'num') return { ...e, type: 'f32' };
  return { k: 'convert', arg: e, type: 'f32' };
}

export function numeric(e: Expr, node: AstNode, what: string): Expr {
  if (e.type === 'bool') fail(node, `${what} needs a number here, but this is a boolean.`);
  return e;
}

function boolean(e: Expr, node: AstNode, what: string): Expr {
  if (e.type !== 'bool') {
    fail(node, `${what} needs a boolean (true or false), but this is ${TYPE_WORDS[e.type]}; compare it, e.g. \`x != 0\`.`);
  }
  return e;
}

/** Lowers one function body (a hook or a helper) to IR statements; lower-functions.ts drives it. */
export class BodyLowerer {
  private scopes: Map<string, Binding>[] = [];
  private loopIterations = 1;
  private loopDepth = 0;

  constructor(private readonly ctx: BodyContext) {}

  withScope<T>(bindings: [string, Binding][], run: () => T): T {
    this.scopes.push(new Map(bindings));
    try {
      return run();
    } finally {
      this.scopes.pop();
    }
  }

  private lookup(name: string): Binding | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const found = this.scopes[i].get(name);
      if (found) return found;
    }
    return undefined;
  }

  private declare(node: AstNode, name: string, type: ScalarType, mutable: boolean, loopCounter = false): string {
    checkName(node, name);
    if (this.lookup(name)) fail(node, `\`${name}\` is already declared here; pick another name.`);
    const count = this.ctx.usedNames.get(name) ?? 0;
    this.ctx.usedNames.set(name, count + 1);
    const ir = count === 0 ? name : `${name}_${count}`;
    this.scopes[this.scopes.length - 1].set(name, { ir, type, mutable, loopCounter });
    return ir;
  }

  // ── statements ──────────────────────────────────────────────────────────

  block(nodes: AstNode[]): Stmt[] {
    return this.withScope([], () => this.statements(nodes));
  }

  /** Lowers statements into the current scope (their declarations stay visible afterwards). */
  statements(nodes: AstNode[]): Stmt[] {
    return nodes.flatMap((node) => this.statement(node).map((s) => (s.line === undefined ? { ...s, line: node.loc.start.line } : s)));
  }

  private statement(node: AstNode): Stmt[] {
    switch (node.type) {
      case 'VariableDeclaration':
        return this.variableDeclaration(node);
      case 'ExpressionStatement':
        return [this.assignment(node.expression)];
      case 'IfStatement': {
        const test = boolean(this.expr(node.test), node.test, 'An `if` condition');
        const then = this.block(node.consequent.type === 'BlockStatement' ? node.consequent.body : [node.consequent]);
        const alternate = node.alternate;
        const otherwise = alternate ? this.block(alternate.type === 'BlockStatement' ? alternate.body : [alternate]) : [];
        return [{ k: 'if', test, then, else: otherwise }];
      }
      case 'BlockStatement':
        return this.block(node.body);
      case 'ForStatement':
        return [this.forStatement(node)];
      case 'ReturnStatement':
        return [this.returnStatement(node)];
      case 'BreakStatement':
      case 'ContinueStatement':
        if (this.loopDepth === 0) fail(node, `\`${node.type === 'BreakStatement' ? 'break' : 'continue'}\` is only allowed inside a for loop.`);
        if (node.label) fail(node, 'Labelled break and continue are not part of the variant language.');
        return [{ k: node.type === 'BreakStatement' ? 'break' : 'continue' }];
      case 'EmptyStatement':
        return [];
      case 'WhileStatement':
      case 'DoWhileStatement':
        return fail(node, 'while loops have no fixed number of iterations, so a kernel cannot bound them; use `for (let i = 0; i < N; i++)` with a number N.');
      case 'FunctionDeclaration':
        return fail(node, 'Declare helper functions at the top level of the variant, not inside another function.');
      default:
        return fail(node, `${describeNode(node)} is not part of the variant language.`);
    }
  }

  private variableDeclaration(node: AstNode): Stmt[] {
    if (node.kind === 'var') fail(node, 'Use `let` or `const` instead of `var`.');
    return node.declarations.map((declarator: AstNode): Stmt => {
      if (declarator.id.type !== 'Identifier') fail(declarator.id, 'Destructuring is not part of the variant language; declare one name at a time.');
      if (!declarator.init) fail(declarator, `\`${declarator.id.name}\` needs a starting value, e.g. \`let ${declarator.id.name} = 0;\`.`);
      const init = this.expr(declarator.init);
      const name: string = declarator.id.name;
      const mutable = node.kind === 'let';
      const type: ScalarType = mutable && init.type === 'i32' && this.ctx.widened.has(name) ? 'f32' : init.type;
      const ir = this.declare(declarator.id, name, type, mutable);
      return { k: 'let', name: ir, init: type === 'f32' ? toF32(init) : init, type };
    });
  }

  private assignment(node: AstNode): Stmt {
    if (node.type === 'UpdateExpression') {
      const one: AstNode = { type: 'Literal', value: 1, raw: '1', loc: node.loc };
      return this.assign(node, node.argument, node.operator === '++' ? '+' : '-', one);
    }
    if (node.type === 'AssignmentExpression') {
      if (node.operator === '=') return this.assign(node, node.left, undefined, node.right);
      const op = COMPOUND[node.operator];
      if (!op) fail(node, `The operator \`${node.operator}\` is not part of the variant language.`);
      return this.assign(node, node.left, op, node.right);
    }
    if (node.type === 'CallExpression') fail(node, 'A call on its own does nothing here (functions have no side effects); use its value.');
    return fail(node, 'This expression does nothing on its own; a statement must declare, assign or return.');
  }

  private assign(node: AstNode, target: AstNode, op: BinaryOp | undefined, valueNode: AstNode): Stmt {
    if (target.type === 'MemberExpression') {
      const base = target.object.type === 'MemberExpression' ? target.object.object : target.object;
      if (base.type === 'Identifier' && base.name === 'tensors') fail(target, 'Tensors are read-only inside a variant; compute into a local variable instead.');
      if (base.type === 'Identifier' && base.name === 'vars') fail(target, 'vars are set from outside (sliders); a variant can read them but not change them.');
      return fail(target, 'Only local variables can be assigned to.');
    }
    if (target.type !== 'Identifier') fail(target, 'Only local variables can be assigned to.');
    const binding = this.lookup(target.name);
    if (!binding) fail(target, `\`${target.name}\` is not a local variable; declare it first with \`let\`.`);
    if (binding.loopCounter) fail(target, `The loop counter \`${target.name}\` is changed inside its loop; kernel loops need a fixed number of iterations.`);
    if (!binding.mutable) fail(target, `\`${target.name}\` is a const; declare it with \`let\` to change it.`);
    let value = this.expr(valueNode);
    if (op) value = this.binary(node, op, { k: 'local', name: binding.ir, type: binding.type }, value, target, valueNode);
    if (binding.type === 'bool' || value.type === 'bool') {
      if (binding.type !== value.type) fail(valueNode, `\`${target.name}\` holds ${TYPE_WORDS[binding.type]}, but this value is ${TYPE_WORDS[value.type]}.`);
    } else if (binding.type === 'i32' && value.type === 'f32') {
      // `let s = 0; s += logit;` is ordinary JS: make `s` fractional and lower the body again.
      this.ctx.widened.add(target.name);
      this.ctx.restart = true;
    }
    return { k: 'assign', name: binding.ir, value: binding.type === 'f32' ? toF32(value) : value };
  }

  private forStatement(node: AstNode): Stmt {
    const shape = 'Write loops as `for (let i = 0; i < 8; i++)`: a counter, a number bound, and a fixed step';
    const init = node.init;
    if (!init || init.type !== 'VariableDeclaration' || init.kind !== 'let' || init.declarations.length !== 1) fail(node, `${shape}.`);
    const declarator = init.declarations[0];
    if (declarator.id.type !== 'Identifier' || !declarator.init || !isWholeLiteral(declarator.init)) {
      fail(init, `${shape}; the counter must start at a whole number.`);
    }
    const name: string = declarator.id.name;
    const test = node.test;
    const bounded =
      test?.type === 'BinaryExpression' && (test.operator === '<' || test.operator === '<=') &&
      test.left.type === 'Identifier' && test.left.name === name;
    if (!bounded) fail(test ?? node, `${shape}; the condition must be \`${name} < N\` or \`${name} <= N\`.`);
    if (!isWholeLiteral(test.right)) {
      fail(test.right, `The loop bound must be a whole number written in the code, so the kernel knows how long the loop runs before it starts.`);
    }
    const update = node.update;
    let step = 0;
    if (update?.type === 'UpdateExpression' && update.operator === '++' && update.argument.name === name) step = 1;
    if (update?.type === 'AssignmentExpression' && update.operator === '+=' && update.left.name === name && isWholeLiteral(update.right)) {
      step = update.right.value;
    }
    if (step <= 0) fail(update ?? node, `${shape}; the step must be \`${name}++\` or \`${name} += k\` with k > 0.`);
    const from: number = declarator.init.value;
    const to: number = test.right.value + (test.operator === '<=' ? 1 : 0);
    const iterations = Math.max(0, Math.ceil((to - from) / step));
    const total = iterations * this.loopIterations;
    if (total > MAX_STATIC_ITERATIONS) {
      const nested = this.loopDepth > 0 ? ` (${total} counting the loops around it)` : '';
      fail(node, `This loop runs ${iterations} times${nested} for every call; a variant may run at most ${MAX_STATIC_ITERATIONS} loop iterations per call, because the hook runs for every score and a long loop would stall the GPU.`);
    }
    const savedIterations = this.loopIterations;
    this.loopIterations = total;
    this.loopDepth++;
    try {
      return this.withScope([], () => {
        const ir = this.declare(declarator.id, name, 'i32', false, true);
        const body = this.block(node.body.type === 'BlockStatement' ? node.body.body : [node.body]);
        return { k: 'for', name: ir, from, to, step, body } satisfies Stmt;
      });
    } finally {
      this.loopIterations = savedIterations;
      this.loopDepth--;
    }
  }

  private returnStatement(node: AstNode): Stmt {
    if (!this.ctx.returnsAllowed) {
      fail(node, 'A vector hook returns once, at its end: `return q.map((x, d) => ...)`; compute other values into local variables first.');
    }
    if (!node.argument) fail(node, 'Return a value here.');
    const value = this.expr(node.argument);
    this.ctx.returnTypes.push({ type: value.type, node: node.argument });
    return { k: 'return', value };
  }

  // ── expressions ─────────────────────────────────────────────────────────

  expr(node: AstNode): Expr {
    switch (node.type) {
      case 'Literal':
        if (typeof node.value === 'number') {
          const whole = isWholeLiteral(node);
          if (whole && node.value > 2 ** 31 - 1) {
            fail(node, `${node.raw} is too large for a whole number on the GPU (at most 2147483647); write ${node.raw}.0 for a fractional number.`);
          }
          return { k: 'num', value: node.value, type: whole ? 'i32' : 'f32' };
        }
        if (typeof node.value === 'boolean') return { k: 'bool', value: node.value, type: 'bool' };
        return fail(node, 'Only numbers and booleans exist inside a variant; strings and other literals do not.');
      case 'Identifier':
        return this.identifier(node);
      case 'MemberExpression':
        return this.member(node);
      case 'CallExpression':
        return this.call(node);
      case 'UnaryExpression':
        return this.unary(node);
      case 'BinaryExpression': {
        const op = BINARY[node.operator];
        if (node.operator === '>>>') fail(node, 'Whole numbers in a variant are signed 32-bit (i32); use `>>` instead of `>>>`.');
        if (!op) fail(node, `The operator \`${node.operator}\` is not part of the variant language.`);
        return this.binary(node, op, this.expr(node.left), this.expr(node.right), node.left, node.right);
      }
      case 'LogicalExpression': {
        if (node.operator === '??') fail(node, 'Values inside a variant are never null or undefined, so `??` has nothing to do.');
        const left = boolean(this.expr(node.left), node.left, `\`${node.operator}\``);
        const right = boolean(this.expr(node.right), node.right, `\`${node.operator}\``);
        return { k: 'logical', op: node.operator, left, right, type: 'bool' };
      }
      case 'ConditionalExpression': {
        const test = boolean(this.expr(node.test), node.test, 'The condition of `? :`');
        let then = this.expr(node.consequent);
        let otherwise = this.expr(node.alternate);
        if ((then.type === 'bool') !== (otherwise.type === 'bool')) {
          fail(node, 'Both branches of `? :` must be numbers, or both booleans.');
        }
        if (then.type !== otherwise.type) {
          then = toF32(then);
          otherwise = toF32(otherwise);
        }
        return { k: 'cond', test, then, else: otherwise, type: then.type };
      }
      case 'TSAsExpression':
      case 'TSNonNullExpression':
      case 'TSSatisfiesExpression':
        return this.expr(node.expression);
      case 'AssignmentExpression':
      case 'UpdateExpression':
        return fail(node, 'Assignments are statements here, not values; put it on its own line.');
      case 'ArrowFunctionExpression':
      case 'FunctionExpression':
        return fail(node, 'Functions as values exist only in `v.map((x, d) => ...)` at the end of a vector hook.');
      case 'TemplateLiteral':
        return fail(node, 'Only numbers and booleans exist inside a variant; strings and other literals do not.');
      default:
        return fail(node, `${describeNode(node)} is not part of the variant language.`);
    }
  }

  private identifier(node: AstNode): Expr {
    const name: string = node.name;
    const binding = this.lookup(name);
    if (binding) return { k: 'local', name: binding.ir, type: binding.type };
    if (name === 'HEAD_DIM') return { k: 'const', name: 'HEAD_DIM', type: 'i32' };
    if (name === 'Infinity' || name === 'NaN' || name === 'undefined') {
      fail(node, `\`${name}\` cannot be used in a kernel (GPUs may assume it never occurs); to exclude a score, return false from logitsMask.`);
    }
    const hook = this.ctx.hook;
    if (name === 'vars' || name === 'tensors') fail(node, `Use \`${name}.name\`${name === 'tensors' ? '[i]' : ''}, not \`${name}\` on its own.`);
    if (hook?.idxName === name) fail(node, `Read a field of \`${name}\`, e.g. \`${name}.${hook.signature.idxFields[0]}\`.`);
    if (hook?.vectorName === name) fail(node, `\`${name}\` is a whole vector; read one element with \`${name}[i]\`.`);
    if (this.ctx.module.helperNames.includes(name)) fail(node, `\`${name}\` is a function; call it, e.g. \`${name}(...)\`.`);
    const known = this.knownNames();
    const suggestion = closest(name, known);
    return fail(node, `Unknown name \`${name}\`.${suggestion ? ` Did you mean \`${suggestion}\`?` : ''}`);
  }

  private knownNames(): string[] {
    const names = ['Math', 'vars', 'tensors', 'HEAD_DIM', ...this.ctx.module.helperNames];
    for (const scope of this.scopes) names.push(...scope.keys());
    if (this.ctx.hook?.idxName) names.push(this.ctx.hook.idxName);
    return names;
  }

  private member(node: AstNode): Expr {
    const object = node.object;
    const property = node.property;
    if (object.type === 'Identifier' && !this.lookup(object.name)) {
      const hook = this.ctx.hook;
      if (hook && hook.idxName === object.name) return this.idxField(node, hook);
      if (object.name === 'vars') {
        if (node.computed) fail(node, 'Read a var by its name: `vars.scale`.');
        const type = this.ctx.module.vars.get(property.name);
        if (!type) fail(property, unknownMember('var', property.name, [...this.ctx.module.vars.keys()], 'export const vars = { ... }'));
        return { k: 'var', name: property.name, type };
      }
      if (object.name === 'tensors') fail(node, `Index the tensor: \`tensors.${property.name ?? 'name'}[i]\`.`);
      if (object.name === 'Math' && !node.computed) {
        if (property.name === 'PI' || property.name === 'E') return { k: 'const', name: property.name, type: 'f32' };
        if (MATH[property.name]) fail(node, `\`Math.${property.name}\` is a function; call it.`);
        return fail(property, unknownMember('Math function', property.name, Object.keys(MATH), 'the list in the language reference'));
      }
      if (hook?.vectorName === object.name) {
        if (!node.computed) fail(node, `Read an element with \`${object.name}[i]\`; vectors have no \`.${property.name}\` here except \`.map\` in the return.`);
        const index = this.index(node.property);
        return { k: 'vecRead', index, type: 'f32' };
      }
    }
    if (object.type === 'MemberExpression' && object.object.type === 'Identifier' && object.object.name === 'tensors' && !object.computed) {
      const name: string = object.property.name;
      const type = this.ctx.module.tensors.get(name);
      if (!type) fail(object.property, unknownMember('tensor', name, [...this.ctx.module.tensors.keys()], "export const tensors = { name: 'f32' }"));
      if (!node.computed) fail(node, `Index the tensor: \`tensors.${name}[i]\`.`);
      return { k: 'tensor', name, index: this.index(node.property), type };
    }
    if (object.type === 'Identifier' && this.lookup(object.name)) {
      fail(node, `\`${object.name}\` is a number; it has no fields or elements.`);
    }
    return fail(node, `${describeNode(node)} is not something a variant can read.`);
  }

  private idxField(node: AstNode, hook: NonNullable<BodyContext['hook']>): Expr {
    const name: string = node.property.name;
    if (node.computed || !(IDX_FIELDS as readonly string[]).includes(name)) {
      const suggestion = closest(name ?? '', hook.signature.idxFields);
      fail(node.property, `\`${hook.idxName}\` has no field \`${name}\`; it has ${hook.signature.idxFields.join(', ')}.${suggestion ? ` Did you mean \`${suggestion}\`?` : ''}`);
    }
    if (!hook.signature.idxFields.includes(name as IdxField)) {
      fail(node, `\`${hook.idxName}.${name}\` is not known in ${hook.name}: ${hook.signature.missingReason}.`);
    }
    return { k: 'idx', field: name as IdxField, type: 'i32' };
  }

  /** Index expressions are whole numbers; a fractional index is truncated the same way in JS and WGSL. */
  private index(node: AstNode): Expr {
    const index = numeric(this.expr(node), node, 'An index');
    return index.type === 'i32' ? index : { k: 'convert', arg: index, type: 'i32' };
  }

  private call(node: AstNode): Expr {
    const callee = node.callee;
    if (callee.type === 'MemberExpression' && callee.object.type === 'Identifier' && callee.object.name === 'Math' && !callee.computed) {
      const fn = MATH[callee.property.name];
      if (!fn) fail(callee.property, unknownMember('Math function', callee.property.name, Object.keys(MATH), 'the list in the language reference'));
      if (node.arguments.length !== fn.arity) {
        fail(node, `Math.${callee.property.name} takes ${fn.arity} argument${fn.arity > 1 ? 's' : ''} here, not ${node.arguments.length}.`);
      }
      let args = node.arguments.map((a: AstNode) => numeric(this.expr(a), a, `Math.${callee.property.name}`));
      const whole = fn.result === 'int-preserving' && args.every((a: Expr) => a.type === 'i32');
      if (!whole) args = args.map(toF32);
      return { k: 'math', fn: callee.property.name, args, type: whole ? 'i32' : 'f32' };
    }
    if (callee.type === 'MemberExpression' && !callee.computed && callee.property.name === 'map') {
      fail(node, '`.map` is allowed only as the value a vector hook returns: `return q.map((x, d) => ...)`.');
    }
    if (callee.type !== 'Identifier') fail(callee, 'Only Math functions and your own top-level functions can be called.');
    const helper = this.ctx.module.helper(callee.name, callee);
    if (!helper) {
      const suggestion = closest(callee.name, [...this.ctx.module.helperNames, ...Object.keys(MATH).map((m) => `Math.${m}`)]);
      fail(callee, `Unknown function \`${callee.name}\`.${suggestion ? ` Did you mean \`${suggestion}\`?` : ''}`);
    }
    if (node.arguments.length !== helper.params.length) {
      fail(node, `\`${helper.name}\` takes ${helper.params.length} argument${helper.params.length === 1 ? '' : 's'}, not ${node.arguments.length}.`);
    }
    const args = node.arguments.map((a: AstNode, i: number) => {
      const param = helper.params[i];
      const value = this.expr(a);
      if (param.type === 'f32' && value.type !== 'bool') return toF32(value);
      if (param.type !== value.type) fail(a, `Argument \`${param.name}\` of \`${helper.name}\` is ${TYPE_WORDS[param.type]}, but this is ${TYPE_WORDS[value.type]}.`);
      return value;
    });
    return { k: 'call', fn: helper.name, args, type: helper.returnType };
  }

  private unary(node: AstNode): Expr {
    const arg = this.expr(node.argument);
    switch (node.operator) {
      case '-':
        numeric(arg, node.argument, 'Negation');
        if (arg.k === 'num') return { ...arg, value: -arg.value };
        return { k: 'unary', op: '-', arg, type: arg.type };
      case '+':
        return numeric(arg, node.argument, 'Unary plus');
      case '!':
        return { k: 'unary', op: '!', arg: boolean(arg, node.argument, '`!`'), type: 'bool' };
      case '~':
        if (arg.type !== 'i32') fail(node.argument, 'Bitwise operators need whole numbers (i32).');
        return { k: 'unary', op: '~', arg, type: 'i32' };
      default:
        return fail(node, `The operator \`${node.operator}\` is not part of the variant language.`);
    }
  }

  binary(node: AstNode, op: BinaryOp, left: Expr, right: Expr, leftNode: AstNode, rightNode: AstNode): Expr {
    if (op === '==' || op === '!=') {
      if (left.type === 'bool' && right.type === 'bool') return { k: 'binary', op, left, right, type: 'bool' };
    }
    numeric(left, leftNode, `\`${op}\``);
    numeric(right, rightNode, `\`${op}\``);
    if (BITWISE.has(op)) {
      if (left.type !== 'i32' || right.type !== 'i32') fail(node, `Bitwise \`${op}\` needs whole numbers (i32) on both sides.`);
      return { k: 'binary', op, left, right, type: 'i32' };
    }
    const whole = left.type === 'i32' && right.type === 'i32' && op !== '/' && op !== '**';
    if (!whole) {
      left = toF32(left);
      right = toF32(right);
    }
    return { k: 'binary', op, left, right, type: COMPARISONS.has(op) ? 'bool' : whole ? 'i32' : 'f32' };
  }
}

function unknownMember(kind: string, name: string, known: string[], declareHint: string): string {
  const suggestion = closest(name, known);
  if (suggestion) return `Unknown ${kind} \`${name}\`. Did you mean \`${suggestion}\`?`;
  if (known.length === 0) return `Unknown ${kind} \`${name}\`: declare it with \`${declareHint}\`.`;
  return `Unknown ${kind} \`${name}\`; the known ones are ${known.join(', ')}.`;
}

export function describeNode(node: AstNode): string {
  const words: Record<string, string> = {
    NewExpression: '`new`', ThisExpression: '`this`', ArrayExpression: 'An array literal', ObjectExpression: 'An object literal',
    SwitchStatement: 'A switch statement', TryStatement: 'try/catch', ThrowStatement: '`throw`', ForInStatement: 'A for-in loop',
    ForOfStatement: 'A for-of loop', AwaitExpression: '`await`', ClassDeclaration: 'A class', SequenceExpression: 'The comma operator',
    TaggedTemplateExpression: 'A tagged template', YieldExpression: '`yield`', SpreadElement: 'Spread (`...`)',
    ChainExpression: 'Optional chaining (`?.`)', LabeledStatement: 'A label', WithStatement: '`with`',
  };
  return words[node.type] ?? `\`${node.type}\``;
}

/** Names become WGSL identifiers (prefixed), so they keep to ASCII letters, digits and `_`. */
export function checkName(node: AstNode, name: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) fail(node, `\`${name}\`: names in a variant use only ASCII letters, digits and _.`);
}
