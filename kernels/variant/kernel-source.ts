import common from '../wgsl/common.wgsl?raw';
import noRowHooks from '../wgsl/no_row_hooks.wgsl?raw';
import prefillParams from '../wgsl/prefill_params.wgsl?raw';
import { specialize } from '../wgsl/specialize.ts';
import { unrollLoops } from '../wgsl/unroll.ts';
import type { CompiledVariant } from './compile.ts';
import type { Diagnostic } from './diagnostics.ts';
import { LINE_MARK } from './emit-wgsl.ts';

/** The line, on its own, where a template includes the hooks. */
const HOOKS_MARK = /^\/\/ @hooks$/gm;

export interface KernelParts {
  constants: Record<string, number>;
  /** Sources for `// @include NAME` lines besides the shared ones (`common`, `no_row_hooks`, `prefill_params`). */
  includes?: Record<string, string>;
  /** WGSL extensions to enable (`subgroups`), written before everything else. */
  enables?: string[];
  /** Trip counts of the loops marked `// @unroll`, by the name of their bound. */
  unroll?: Record<string, number>;
}

/** A kernel template with a variant's hooks and its includes in place, and its constants specialized. */
export function kernelSource(template: string, label: string, variant: CompiledVariant, parts: KernelParts): string {
  if ((template.match(HOOKS_MARK) ?? []).length !== 1) throw new Error(`${label}: the template needs exactly one \`// @hooks\` line`);
  const includes: Record<string, string> = { common, no_row_hooks: noRowHooks, prefill_params: prefillParams, ...parts.includes };
  const code = template
    .replace(HOOKS_MARK, () => `// hooks of variant ${variant.hash}\n${variant.wgsl}`)
    .replace(/^\/\/ @include (\w+)$/gm, (_line, name: string) => {
      if (includes[name] === undefined) throw new Error(`${label}: nothing to include for ${name}`);
      return includes[name];
    });
  const enables = (parts.enables ?? []).map((name) => `enable ${name};\n`).join('');
  const specialized = specialize(code, label, parts.constants);
  return enables + (parts.unroll ? unrollLoops(specialized, label, parts.unroll) : specialized);
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
