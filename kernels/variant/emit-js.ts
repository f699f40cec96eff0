import type { Expr, HookIR, HookName, Stmt, VariantIR } from './ir.ts';
import { HOOK_NAMES, MATH_JS } from './language.ts';

/**
 * Emits the JS twin of the variant's hooks: the CPU reference runs these, so a learner's function is
 * checked against itself. The emitted source is the body of `function (env)`; it returns the hooks.
 * `env` supplies `vars`, `headDim`, `tensor_<name>(i)` and `vecAt(vec, i)` (both clamp and report).
 */

const EXPR: { [K in Expr['k']]: (e: Extract<Expr, { k: K }>, emit: (e: Expr) => string) => string } = {
  num: (e) => (e.value < 0 ? `(${e.value})` : String(e.value)),
  bool: (e) => String(e.value),
  local: (e) => `v_${e.name}`,
  param: (e) => `v_${e.name}`,
  idx: (e) => `idx.${e.field}`,
  var: (e) => `vars.${e.name}`,
  tensor: (e, emit) => `env.tensor_${e.name}(${emit(e.index)})`,
  vecRead: (e, emit) => `env.vecAt(vec, ${emit(e.index)})`,
  const: (e) => (e.name === 'HEAD_DIM' ? 'env.headDim' : `Math.${e.name}`),
  unary: (e, emit) => `(${e.op}${emit(e.arg)})`,
  binary: (e, emit) => {
    const op = e.op === '==' ? '===' : e.op === '!=' ? '!==' : e.op;
    return `(${emit(e.left)} ${op} ${emit(e.right)})`;
  },
  logical: (e, emit) => `(${emit(e.left)} ${e.op} ${emit(e.right)})`,
  cond: (e, emit) => `(${emit(e.test)} ? ${emit(e.then)} : ${emit(e.else)})`,
  math: (e, emit) => `${MATH_JS[e.fn] ?? `Math.${e.fn}`}(${e.args.map(emit).join(', ')})`,
  call: (e, emit) => `u_${e.fn}(${e.args.map(emit).join(', ')})`,
  convert: (e, emit) => (e.type === 'i32' ? `Math.trunc(${emit(e.arg)})` : emit(e.arg)),
};

function emitExpr(e: Expr): string {
  return (EXPR[e.k] as (e: Expr, emit: (e: Expr) => string) => string)(e, emitExpr);
}

function emitStmts(stmts: Stmt[], indent: string): string {
  const inner = indent + '  ';
  return stmts
    .map((s) => {
      switch (s.k) {
        case 'let':
          return `${indent}let v_${s.name} = ${emitExpr(s.init)};`;
        case 'assign':
          return `${indent}v_${s.name} = ${emitExpr(s.value)};`;
        case 'if': {
          const otherwise = s.else.length ? ` else {\n${emitStmts(s.else, inner)}\n${indent}}` : '';
          return `${indent}if (${emitExpr(s.test)}) {\n${emitStmts(s.then, inner)}\n${indent}}${otherwise}`;
        }
        case 'for':
          return `${indent}for (let v_${s.name} = ${s.from}; v_${s.name} < ${s.to}; v_${s.name} += ${s.step}) {\n${emitStmts(s.body, inner)}\n${indent}}`;
        case 'return':
          return `${indent}return ${emitExpr(s.value)};`;
        case 'break':
        case 'continue':
          return `${indent}${s.k};`;
      }
    })
    .join('\n');
}

function hookFunction(hook: HookIR): string {
  const body = emitStmts(hook.body, '    ');
  if (hook.element) return `  ${hook.name}(vec, idx, v_${hook.element.dim}) {\n${body}\n  },`;
  const params = hook.params.map((p, i) => (i === hook.params.length - 1 ? 'idx' : `v_${p}`)).join(', ');
  return `  ${hook.name}(${params}) {\n${body}\n  },`;
}

export function emitJsHooks(ir: VariantIR): string {
  const helpers = ir.helpers.map((h) => `function u_${h.name}(${h.params.map((p) => `v_${p.name}`).join(', ')}) {\n${emitStmts(h.body, '  ')}\n}`);
  const hooks = HOOK_NAMES.filter((name: HookName) => ir.hooks[name]).map((name) => hookFunction(ir.hooks[name]!));
  return ['const vars = env.vars;', ...helpers, `return {\n${hooks.join('\n')}\n};`].join('\n');
}
