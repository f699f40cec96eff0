/**
 * Unrolls the template loops marked `// @unroll`:
 *
 *     for (var h = 0u; h < HEADS; h++) { // @unroll
 *       ...
 *     }
 *
 * becomes one block per iteration, each starting with `const h = 0u;`, `const h = 1u;`, … so that
 * every index into a small private array is a const-expression (no bounds clamp is inserted). GPU compilers then keep those arrays in
 * registers instead of indexable (slow, local) memory. `counts` gives each bound's value.
 */
export function unrollLoops(code: string, label: string, counts: Record<string, number>): string {
  const lines = code.split('\n');
  const out: string[] = [];
  const header = /^(\s*)for \(var (\w+) = 0u; \2 < (\w+); \2\+\+\) \{ \/\/ @unroll$/;
  for (let i = 0; i < lines.length; i++) {
    const match = header.exec(lines[i]);
    if (!match) {
      out.push(lines[i]);
      continue;
    }
    const [, indent, variable, bound] = match;
    const count = counts[bound];
    if (count === undefined) throw new Error(`${label}: no unroll count for ${bound}`);
    const end = lines.indexOf(`${indent}}`, i + 1);
    if (end < 0) throw new Error(`${label}: the @unroll loop at line ${i + 1} has no closing brace at its indentation`);
    const body = unrollLoops(lines.slice(i + 1, end).join('\n'), label, counts);
    for (let n = 0; n < count; n++) out.push(`${indent}{`, `${indent}  const ${variable} = ${n}u;`, body, `${indent}}`);
    i = end;
  }
  return out.join('\n');
}
