import type { HookName, IdxField, ScalarType } from './ir.ts';

/** What each hook receives and returns, and which `idx` fields it may read (and why not the others). */
export interface HookSignature {
  kind: 'scalar' | 'vector';
  /** Parameters before `idx`: `logit` for logitsTransform, the head vector for vector hooks. */
  leading: number;
  returns: ScalarType;
  idxFields: readonly IdxField[];
  /** Why a missing field is missing, as the end of a sentence. */
  missingReason: string;
  /** Where the kernel runs it, for diagnostics and the lesson. */
  where: string;
}

const LOGIT_FIELDS = ['batch', 'qo', 'kv', 'qoHead', 'kvHead', 'qoLen', 'kvLen'] as const;
const QUERY_FIELDS = ['batch', 'qo', 'qoHead', 'kvHead', 'qoLen', 'kvLen'] as const;
const KEY_FIELDS = ['batch', 'kv', 'kvHead', 'qoLen', 'kvLen'] as const;

export const HOOKS: Record<HookName, HookSignature> = {
  logitsTransform: { kind: 'scalar', leading: 1, returns: 'f32', idxFields: LOGIT_FIELDS, missingReason: '', where: 'on every score' },
  logitsMask: { kind: 'scalar', leading: 0, returns: 'bool', idxFields: LOGIT_FIELDS, missingReason: '', where: 'on every (query, key) pair' },
  queryTransform: {
    kind: 'vector', leading: 1, returns: 'f32', idxFields: QUERY_FIELDS,
    missingReason: 'it runs once per query row, before any key is read', where: 'when a query tile is loaded',
  },
  outputTransform: {
    kind: 'vector', leading: 1, returns: 'f32', idxFields: QUERY_FIELDS,
    missingReason: 'it runs once per output row, after all keys', where: 'before an output row is written',
  },
  keyTransform: {
    kind: 'vector', leading: 1, returns: 'f32', idxFields: KEY_FIELDS,
    missingReason: 'it runs once per key row, shared by every query and query head of the group', where: 'when a key tile is loaded',
  },
  valueTransform: {
    kind: 'vector', leading: 1, returns: 'f32', idxFields: KEY_FIELDS,
    missingReason: 'it runs once per value row, shared by every query and query head of the group', where: 'when a value tile is loaded',
  },
};

export const HOOK_NAMES = Object.keys(HOOKS) as HookName[];

/** `Math.*` functions: how many arguments, and whether whole numbers stay whole (`int`) or become f32. */
export interface MathFunction {
  arity: number;
  /** 'int-preserving': i32 in, i32 out; 'float': always f32. */
  result: 'int-preserving' | 'float';
  /** WGSL spelling; `$0`, `$1` are the arguments. */
  wgsl: string;
}

export const MATH: Record<string, MathFunction> = {
  abs: { arity: 1, result: 'int-preserving', wgsl: 'abs($0)' },
  min: { arity: 2, result: 'int-preserving', wgsl: 'min($0, $1)' },
  max: { arity: 2, result: 'int-preserving', wgsl: 'max($0, $1)' },
  sign: { arity: 1, result: 'int-preserving', wgsl: 'sign($0)' },
  floor: { arity: 1, result: 'int-preserving', wgsl: 'floor($0)' },
  ceil: { arity: 1, result: 'int-preserving', wgsl: 'ceil($0)' },
  trunc: { arity: 1, result: 'int-preserving', wgsl: 'trunc($0)' },
  // JS rounds halves up; WGSL's round() rounds them to even, so spell out JS's rule.
  round: { arity: 1, result: 'int-preserving', wgsl: 'floor($0 + 0.5)' },
  exp: { arity: 1, result: 'float', wgsl: 'exp($0)' },
  exp2: { arity: 1, result: 'float', wgsl: 'exp2($0)' },
  log: { arity: 1, result: 'float', wgsl: 'log($0)' },
  log2: { arity: 1, result: 'float', wgsl: 'log2($0)' },
  sqrt: { arity: 1, result: 'float', wgsl: 'sqrt($0)' },
  tanh: { arity: 1, result: 'float', wgsl: 'tanh($0)' },
  sin: { arity: 1, result: 'float', wgsl: 'sin($0)' },
  cos: { arity: 1, result: 'float', wgsl: 'cos($0)' },
  tan: { arity: 1, result: 'float', wgsl: 'tan($0)' },
  atan: { arity: 1, result: 'float', wgsl: 'atan($0)' },
  atan2: { arity: 2, result: 'float', wgsl: 'atan2($0, $1)' },
  pow: { arity: 2, result: 'float', wgsl: 'pow($0, $1)' },
};

/** JS has no exp2; everything else is `Math.name`. */
export const MATH_JS: Record<string, string> = { exp2: '((x) => Math.pow(2, x))' };

/** Loops may run at most this many iterations in all (nested loops multiply), per hook call. */
export const MAX_STATIC_ITERATIONS = 4096;

/** Closest name by edit distance, for "did you mean" hints; undefined when nothing is close. */
export function closest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
