/**
 * A learner's program: TypeScript the learner writes for an exercise (a batch scheduler), compiled
 * by stripping its types (sucrase) and run in a sandbox that a runaway loop cannot hang: a Web
 * Worker in the browser, a `node:vm` context with a time limit in Node (the CLI and the tests).
 * What it is run for is a job of `program-jobs.ts`.
 */
import { transform } from 'sucrase';
import type { Diagnostic } from '#kernels/index.ts';
import * as browser from './program-browser.ts';
import type { JobArgs, JobName, JobResult, JobValue } from './program-jobs.ts';
import * as node from './program-node.ts';

export interface RunOptions {
  /** The run is stopped after this long (default 10 s). */
  timeoutMs?: number;
  /** Aborting stops the run (in the browser at once; in Node before it starts). */
  signal?: AbortSignal;
}

export type CompiledProgram = { ok: true; js: string } | { ok: false; diagnostics: Diagnostic[] };

/** Strips the types and turns `export`s into assignments to `exports`; line numbers stay the learner's. */
export function compileProgram(source: string): CompiledProgram {
  try {
    return { ok: true, js: transform(source, { transforms: ['typescript', 'imports'], production: true }).code };
  } catch (error) {
    const e = error as Error & { loc?: { line: number; column: number } };
    const line = e.loc?.line ?? 1;
    const column = (e.loc?.column ?? 0) + 1;
    return { ok: false, diagnostics: [{ line, column, endLine: line, endColumn: column + 1, message: `Syntax error: ${e.message.replace(/\s*\(\d+:\d+\)$/, '')}.` }] };
  }
}

/** Runs a job on a compiled program in the environment's sandbox. */
export async function runProgram<J extends JobName>(js: string, job: J, args: JobArgs<J>, options: RunOptions = {}): Promise<JobResult<JobValue<J>>> {
  // Static imports (a dynamic one fails once the CLI's module runner has closed); the bundler drops the other side.
  const { runProgramIn } = import.meta.env.SSR ? node : browser;
  return runProgramIn(js, job, args, { timeoutMs: 10_000, ...options });
}
