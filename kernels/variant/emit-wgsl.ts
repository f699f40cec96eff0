import type { Expr, HelperIR, HookIR, HookName, ScalarType, Stmt, VariantIR } from './ir.ts';
import { MATH } from './language.ts';

/**
 * Emits the WGSL that a kernel template includes at its `// @hooks` line. The template provides
 * `struct Idx`, `HEAD_DIM` and `hook_read_{q,k,v,o}(row, j)`; this code provides the hook
 * functions, their parameters (a uniform of vars and tensor offsets, one storage buffer of tensor
 * words) and the `HAS_*`/`USE_SOFTMAX` constants the template branches on.
 */

const WGSL_TYPE: Record<ScalarType, string> = { f32: 'f32', i32: 'i32', bool: 'bool' };

const IDX_WGSL: Record<string, string> = {
  batch: 'batch', qo: 'qo', kv: 'kv', qoHead: 'qo_head', kvHead: 'kv_head', qoLen: 'qo_len', kvLen: 'kv_len',
};

const VECTOR_OF: Partial<Record<HookName, string>> = {
  queryTransform: 'q', keyTransform: 'k', valueTransform: 'v', outputTransform: 'o',
};

const HOOK_WGSL: Record<HookName, string> = {
  logitsTransform: 'logits_transform', logitsMask: 'logits_mask', queryTransform: 'query_transform',
  keyTransform: 'key_transform', valueTransform: 'value_transform', outputTransform: 'output_transform',
};

function float(value: number): string {
  const text = Number.isInteger(value) ? `${value}.0` : String(value);
  return value < 0 ? `(${text})` : text;
}

/** One entry per IR node kind: the WGSL for that node given its emitted children. */
const EXPR: { [K in Expr['k']]: (e: Extract<Expr, { k: K }>, emit: (e: Expr) => string, vector: string) => string } = {
  num: (e) => (e.type === 'i32' ? (e.value < 0 ? `(${e.value}i)` : `${e.value}i`) : float(e.value)),
  bool: (e) => String(e.value),
  local: (e) => `v_${e.name}`,
  param: (e) => `v_${e.name}`,
  idx: (e) => `idx.${IDX_WGSL[e.field]}`,
  var: (e) => `hook_var_${e.name}()`,
  tensor: (e, emit) => `tensor_${e.name}(${emit(e.index)})`,
  vecRead: (e, emit, vector) => `hook_read_${vector}(row, ${emit(e.index)})`,
  const: (e) => (e.name === 'HEAD_DIM' ? 'i32(HEAD_DIM)' : e.name === 'PI' ? float(Math.PI) : float(Math.E)),
  unary: (e, emit) => `(${e.op}${emit(e.arg)})`,
  binary: (e, emit) => {
    if (e.op === '**') return `pow(${emit(e.left)}, ${emit(e.right)})`;
    if (e.op === '<<' || e.op === '>>') return `(${emit(e.left)} ${e.op} u32(${emit(e.right)} & 31i))`;
    return `(${emit(e.left)} ${e.op} ${emit(e.right)})`;
  },
  logical: (e, emit) => `(${emit(e.left)} ${e.op} ${emit(e.right)})`,
  cond: (e, emit) => `select(${emit(e.else)}, ${emit(e.then)}, ${emit(e.test)})`,
  math: (e, emit) => MATH[e.fn].wgsl.replace(/\$(\d)/g, (_, i: string) => emit(e.args[Number(i)])),
  call: (e, emit) => `u_${e.fn}(${e.args.map(emit).join(', ')})`,
  convert: (e, emit) => `${e.type}(${emit(e.arg)})`,
};

function emitExpr(e: Expr, vector: string): string {
  const emit = (child: Expr) => emitExpr(child, vector);
  return (EXPR[e.k] as (e: Expr, emit: (e: Expr) => string, vector: string) => string)(e, emit, vector);
}

/** Marks the learner's line on each statement so a WGSL compiler error can be mapped back to it. */
export const LINE_MARK = /\/\/ line (\d+)$/;

function emitStmts(stmts: Stmt[], indent: string, vector: string): string {
  const inner = indent + '  ';
  return stmts.map((s) => emitStmt(s, indent, inner, vector).replace(/\n|$/, (end) => (s.line ? ` // line ${s.line}${end}` : end))).join('\n');
}

function emitStmt(s: Stmt, indent: string, inner: string, vector: string): string {
  const x = (e: Expr) => emitExpr(e, vector);
  switch (s.k) {
    case 'let':
      return `${indent}var v_${s.name}: ${WGSL_TYPE[s.type]} = ${x(s.init)};`;
    case 'assign':
      return `${indent}v_${s.name} = ${x(s.value)};`;
    case 'if': {
      const otherwise = s.else.length ? ` else {\n${emitStmts(s.else, inner, vector)}\n${indent}}` : '';
      return `${indent}if (${x(s.test)}) {\n${emitStmts(s.then, inner, vector)}\n${indent}}${otherwise}`;
    }
    case 'for':
      return `${indent}for (var v_${s.name}: i32 = ${s.from}i; v_${s.name} < ${s.to}i; v_${s.name} += ${s.step}i) {\n${emitStmts(s.body, inner, vector)}\n${indent}}`;
    case 'return':
      return `${indent}return ${x(s.value)};`;
    case 'break':
    case 'continue':
      return `${indent}${s.k};`;
  }
}

function hookFunction(name: HookName, hook: HookIR | undefined): string {
  const vector = VECTOR_OF[name];
  const fn = HOOK_WGSL[name];
  if (vector) {
    const dim = hook?.element?.dim ?? 'dim';
    const body = hook ? emitStmts(hook.body, '  ', vector) : `  return hook_read_${vector}(row, v_${dim});`;
    return `fn ${fn}(idx: Idx, row: u32, v_${dim}: i32) -> f32 {\n${body}\n}`;
  }
  if (name === 'logitsMask') {
    return `fn ${fn}(idx: Idx) -> bool {\n${hook ? emitStmts(hook.body, '  ', '') : '  return true;'}\n}`;
  }
  const logit = hook?.params[0] ?? 'logit';
  return `fn ${fn}(v_${logit}: f32, idx: Idx) -> f32 {\n${hook ? emitStmts(hook.body, '  ', '') : `  return v_${logit};`}\n}`;
}

function helperFunction(helper: HelperIR): string {
  const params = helper.params.map((p) => `v_${p.name}: ${WGSL_TYPE[p.type]}`).join(', ');
  return `fn u_${helper.name}(${params}) -> ${WGSL_TYPE[helper.returnType]} {\n${emitStmts(helper.body, '  ', '')}\n}`;
}

/** Field order of the `HookParams` uniform; the host writes the same order (one 4-byte word each). */
export function hookParamFields(ir: VariantIR): { name: string; type: 'f32' | 'i32' | 'u32' }[] {
  const fields: { name: string; type: 'f32' | 'i32' | 'u32' }[] = ir.vars.map((v) => ({ name: `var_${v.name}`, type: v.type }));
  for (const t of ir.tensors) fields.push({ name: `tensor_${t.name}_offset`, type: 'u32' }, { name: `tensor_${t.name}_length`, type: 'u32' });
  return fields;
}

export function emitWgslHooks(ir: VariantIR): string {
  const fields = hookParamFields(ir);
  const struct = fields.length ? fields.map((f) => `  ${f.name}: ${f.type},`).join('\n') : '  unused: u32,';
  const parts = [
    `const USE_SOFTMAX: bool = ${ir.useSoftmax};`,
    ...(['queryTransform', 'keyTransform', 'valueTransform', 'outputTransform'] as const).map(
      (name) => `const HAS_${HOOK_WGSL[name].toUpperCase()}: bool = ${ir.hooks[name] !== undefined};`,
    ),
    '',
    `struct HookParams {\n${struct}\n}`,
    '@group(0) @binding(7) var<uniform> hook_params: HookParams;',
    '@group(0) @binding(8) var<storage, read> tensor_words: array<u32>;',
    ...ir.vars.map((v) => `fn hook_var_${v.name}() -> ${v.type === 'f32' ? 'f32' : 'i32'} { return ${v.type === 'u32' ? `i32(hook_params.var_${v.name})` : `hook_params.var_${v.name}`}; }`),
    // Out-of-range indices are clamped here; the CPU run of the same variant reports them.
    ...ir.tensors.map((t) => {
      const word = `tensor_words[hook_params.tensor_${t.name}_offset + u32(clamp(i, 0i, i32(hook_params.tensor_${t.name}_length) - 1i))]`;
      const value = t.type === 'f32' ? `bitcast<f32>(${word})` : `bitcast<i32>(${word})`;
      return `fn tensor_${t.name}(i: i32) -> ${t.type === 'f32' ? 'f32' : 'i32'} { return ${value}; }`;
    }),
    '',
    ...ir.helpers.map(helperFunction),
    ...(Object.keys(HOOK_WGSL) as HookName[]).map((name) => hookFunction(name, ir.hooks[name])),
  ];
  return parts.join('\n') + '\n';
}
