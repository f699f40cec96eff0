import common from '../wgsl/common.wgsl?raw';
import { specialize } from '../wgsl/specialize.ts';
import type { CompiledVariant } from './compile.ts';
import type { Diagnostic } from './diagnostics.ts';
import { LINE_MARK } from './emit-wgsl.ts';

/** The line, on its own, where a template includes the hooks. */
const HOOKS_MARK = /^\/\/ @hooks$/gm;

/** A kernel template with a variant's hooks included and its constants specialized. */
export function kernelSource(template: string, label: string, variant: CompiledVariant, constants: Record<string, number>): string {
  if ((template.match(HOOKS_MARK) ?? []).length !== 1) throw new Error(`${label}: the template needs exactly one \`// @hooks\` line`);
  const hooks = `// hooks of variant ${variant.hash}\n${variant.wgsl}`;
  return specialize(template.replace(HOOKS_MARK, () => hooks).replace(/^\/\/ @include common$/m, () => common), label, constants);
}

/**
 * Maps a WGSL compiler message at `wgslLine` back to the learner's source, through the
 * `// line N` marks the emitter leaves on hook statements. Undefined: not in the learner's code.
 */
export function mapToSourceLine(code: string, wgslLine: number, message: string): Diagnostic | undefined {
  const line = code.split('\n')[wgslLine - 1];
  const match = line === undefined ? null : LINE_MARK.exec(line);
  if (!match) return undefined;
  const sourceLine = Number(match[1]);
  return {
    line: sourceLine,
    column: 1,
    endLine: sourceLine,
    endColumn: 1,
    message: `The GPU compiler rejected the code made from this line: ${message}`,
  };
}
