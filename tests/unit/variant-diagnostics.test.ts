import { describe, expect, it } from 'vitest';
import { compileVariant } from '#kernels/index.ts';

/** Bad programs a learner might write, with the line the diagnostic must point at and what it must say. */
const BAD_PROGRAMS: { name: string; source: string; line: number; message: RegExp }[] = [
  { name: 'syntax error', source: 'export function logitsTransform(l: number, idx: Idx): number {\n  return l +;\n}', line: 2, message: /^Syntax error: Unexpected token/ },
  { name: 'unknown idx field with a suggestion', source: 'export function logitsMask(idx: Idx): boolean {\n  return idx.qoo > 0;\n}', line: 2, message: /`idx` has no field `qoo`.*Did you mean `qo`\?/ },
  { name: 'idx field a hook cannot know', source: 'export function queryTransform(q: Vec, idx: HeadIdx): Vec {\n  return q.map((x) => x * idx.kv);\n}', line: 2, message: /`idx\.kv` is not known in queryTransform: it runs once per query row/ },
  { name: 'unknown name', source: 'export function logitsTransform(l: number, idx: Idx): number {\n  return l * scale;\n}', line: 2, message: /Unknown name `scale`/ },
  { name: 'undeclared var', source: 'export const vars = { scale: 1.0 };\nexport function logitsTransform(l: number, idx: Idx): number {\n  return l * vars.scael;\n}', line: 3, message: /Unknown var `scael`\. Did you mean `scale`\?/ },
  { name: 'undeclared tensor', source: 'export function logitsTransform(l: number, idx: Idx): number {\n  return l + tensors.slopes[0];\n}', line: 2, message: /Unknown tensor `slopes`: declare it/ },
  { name: 'write to a tensor', source: "export const tensors = { t: 'f32' };\nexport function logitsMask(idx: Idx): boolean {\n  tensors.t[0] = 1;\n  return true;\n}", line: 3, message: /Tensors are read-only/ },
  { name: 'write to a var', source: 'export const vars = { a: 1.0 };\nexport function logitsMask(idx: Idx): boolean {\n  vars.a = 2;\n  return true;\n}', line: 3, message: /can read them but not change them/ },
  { name: 'while loop', source: 'export function logitsMask(idx: Idx): boolean {\n  let i = 0;\n  while (i < 3) { i++; }\n  return true;\n}', line: 3, message: /while loops have no fixed number of iterations/ },
  { name: 'loop bound not a literal', source: 'export function logitsMask(idx: Idx): boolean {\n  let n = 0;\n  for (let i = 0; i < idx.kv; i++) { n++; }\n  return n > 2;\n}', line: 3, message: /loop bound must be a whole number written in the code/ },
  { name: 'runaway loop', source: 'export function logitsTransform(l: number, idx: Idx): number {\n  let s = 0.0;\n  for (let i = 0; i < 1000000000; i++) { s += l; }\n  return s;\n}', line: 3, message: /runs 1000000000 times for every call; a variant may run at most 4096/ },
  { name: 'nested loops over the budget', source: 'export function logitsTransform(l: number, idx: Idx): number {\n  let s = 0.0;\n  for (let i = 0; i < 100; i++) {\n    for (let j = 0; j < 100; j++) { s += l; }\n  }\n  return s;\n}', line: 4, message: /runs 100 times \(10000 counting the loops around it\)/ },
  { name: 'direct recursion', source: 'function f(x: number): number {\n  return f(x);\n}\nexport function logitsTransform(l: number, idx: Idx): number {\n  return f(l);\n}', line: 2, message: /`f` calls itself .* kernels cannot recurse/ },
  { name: 'mutual recursion', source: 'function a(x: number): number {\n  return b(x);\n}\nfunction b(x: number): number {\n  return a(x);\n}\nexport function logitsTransform(l: number, idx: Idx): number {\n  return a(l);\n}', line: 5, message: /`a` calls itself \(directly or through other functions\)/ },
  { name: 'mask returns a number', source: 'export function logitsMask(idx: Idx): boolean {\n  return idx.kv;\n}', line: 2, message: /`logitsMask` must return a boolean, but this is a whole number/ },
  { name: 'numeric if condition', source: 'export function logitsMask(idx: Idx): boolean {\n  if (idx.kv) { return false; }\n  return true;\n}', line: 2, message: /An `if` condition needs a boolean .* compare it/ },
  { name: 'missing return', source: 'export function logitsTransform(l: number, idx: Idx): number {\n  if (l > 0) { return l; }\n}', line: 1, message: /must end with a return on every path/ },
  { name: 'misspelled hook', source: 'export function logitTransform(l: number, idx: Idx): number {\n  return l;\n}', line: 1, message: /`logitTransform` is not a hook\. Did you mean `logitsTransform`\?/ },
  { name: 'unknown Math function', source: 'export function logitsTransform(l: number, idx: Idx): number {\n  return Math.sigmoid(l);\n}', line: 2, message: /Unknown Math function `sigmoid`/ },
  { name: 'string literal', source: "export function logitsMask(idx: Idx): boolean {\n  const s = 'causal';\n  return true;\n}", line: 2, message: /Only numbers and booleans exist inside a variant/ },
  { name: 'import', source: "import { x } from './other';\nexport function logitsMask(idx: Idx): boolean {\n  return true;\n}", line: 1, message: /Variants cannot import/ },
  { name: 'assigning to a const', source: 'export function logitsTransform(l: number, idx: Idx): number {\n  const s = l;\n  s = 2.0;\n  return s;\n}', line: 3, message: /`s` is a const; declare it with `let`/ },
  { name: 'Infinity', source: 'export function logitsTransform(l: number, idx: Idx): number {\n  return idx.kv > idx.qo ? -Infinity : l;\n}', line: 2, message: /`Infinity` cannot be used in a kernel .* return false from logitsMask/ },
  { name: 'bitwise on fractions', source: 'export function logitsTransform(l: number, idx: Idx): number {\n  return l & 1;\n}', line: 2, message: /Bitwise `&` needs whole numbers \(i32\) on both sides/ },
  { name: 'changing the loop counter', source: 'export function logitsTransform(l: number, idx: Idx): number {\n  for (let i = 0; i < 4; i++) {\n    i = 2;\n  }\n  return l;\n}', line: 3, message: /The loop counter `i` is changed inside its loop/ },
  { name: 'vector hook without map', source: 'export function queryTransform(q: Vec, idx: HeadIdx): Vec {\n  return 2;\n}', line: 2, message: /queryTransform must end with `return q\.map\(\(x, d\) => \.\.\.\)`/ },
  { name: 'whole literal too large for i32', source: 'export function logitsMask(idx: Idx): boolean {\n  return idx.kv < 3000000000;\n}', line: 2, message: /3000000000 is too large for a whole number on the GPU/ },
  { name: 'unknown export', source: 'export const scale = 2;\nexport function logitsMask(idx: Idx): boolean {\n  return true;\n}', line: 1, message: /`scale` is not something a variant exports/ },
  { name: 'var typed as something else', source: 'export const vars = { w: 4 as bool };', line: 1, message: /A var is `f32` \(the default\), `i32` or `u32`/ },
  { name: 'i32 var with a fractional default', source: 'export const vars = { w: 4.5 as i32 };', line: 1, message: /`w` is i32, so its default must be a whole number/ },
  { name: 'non-exported hook', source: 'function logitsMask(idx: Idx): boolean {\n  return true;\n}', line: 1, message: /Export the hook so the kernel can find it/ },
  { name: 'calling an unknown function', source: 'export function logitsTransform(l: number, idx: Idx): number {\n  return sigmoid(l);\n}', line: 2, message: /Unknown function `sigmoid`/ },
];

describe('compileVariant rejects bad programs with a located, readable diagnostic', () => {
  it('has at least 20 bad programs', () => expect(BAD_PROGRAMS.length).toBeGreaterThanOrEqual(20));

  it.each(BAD_PROGRAMS)('$name', ({ source, line, message }) => {
    const result = compileVariant(source);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const first = result.errors[0];
    expect(first.message).toMatch(message);
    expect(first.line).toBe(line);
    expect(first.column).toBeGreaterThanOrEqual(1);
  });

  it('reports one diagnostic per broken hook, in source order', () => {
    const result = compileVariant(
      'export function logitsMask(idx: Idx): boolean {\n  return idx.nope > 0;\n}\nexport function logitsTransform(l: number, idx: Idx): number {\n  return l * nothing;\n}',
    );
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.map((e) => e.line)).toEqual([2, 5]);
  });

  it('points at the column of the offending name', () => {
    const result = compileVariant('export function logitsMask(idx: Idx): boolean {\n  return idx.kv < nope;\n}');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]).toMatchObject({ line: 2, column: 19, endColumn: 23 });
  });
});
