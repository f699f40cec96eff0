/**
 * What a learner's program is run for, inside the sandbox (a Web Worker in the browser, a `node:vm`
 * context with a time limit in Node): each job takes the program's exports and plain-data
 * arguments and returns plain data, so that the same job runs in either sandbox.
 */
// The scheduler's own module, not the index: the worker's bundle then carries the simulator only.
import { simulate, ScheduleError, type SchedulerOptions, type SimulationResult } from '#kernels/serving/scheduler.ts';
import type { WorkloadRequest } from '#kernels/serving/workloads.ts';

/** A job's outcome: its value, or a sentence saying what went wrong (with the learner's line when known). */
export type JobResult<T> = { ok: true; value: T } | { ok: false; error: string; /** The run hit its time limit. */ timedOut?: true };

export interface SimulateArgs {
  /** The exported function that is the policy. */
  entry: string;
  workload: WorkloadRequest[];
  options: Omit<SchedulerOptions, 'policy'>;
}

export const PROGRAM_JOBS = {
  /** The batch simulator under the program's policy. */
  simulate(exports: Record<string, unknown>, args: SimulateArgs): SimulationResult {
    const policy = exports[args.entry];
    if (typeof policy !== 'function') throw new ProgramError(`your code exports no function \`${args.entry}\``);
    return simulate(args.workload, {
      ...args.options,
      policy: (state) => {
        try {
          return policy(state);
        } catch (error) {
          throw new ProgramError(`\`${args.entry}\` threw ${describeThrown(error)}`);
        }
      },
    });
  },
} as const;

export type JobName = keyof typeof PROGRAM_JOBS;
export type JobArgs<J extends JobName> = Parameters<(typeof PROGRAM_JOBS)[J]>[1];
export type JobValue<J extends JobName> = ReturnType<(typeof PROGRAM_JOBS)[J]>;

/** An error in the learner's program, as opposed to one of the grader's. */
class ProgramError extends Error {}

/** What a run that hit its time limit says. */
export const timeoutMessage = (timeoutMs: number) => `your code ran for more than ${timeoutMs / 1000} s and was stopped (a loop that never ends?)`;

/** The file name the sandboxes give the learner's code, so that stack frames name its lines. */
export const PROGRAM_FILE = 'submission.ts';

/** What the program threw, in words, with its line when its stack names one (errors of the vm's realm too). */
export function describeThrown(error: unknown): string {
  if (!(error instanceof Error) && !(typeof error === 'object' && error !== null && 'message' in error)) return `${String(error)}`;
  const { name, message, stack } = error as Error;
  const line = new RegExp(`${PROGRAM_FILE.replace('.', '\\.')}:(\\d+)`).exec(String(stack))?.[1];
  return `${name ?? 'Error'}: ${message}${line ? ` (line ${line})` : ''}`;
}

/** Runs a job on loaded exports, catching what the program or the simulator throws. */
export function runJob<J extends JobName>(exports: Record<string, unknown>, job: J, args: JobArgs<J>): JobResult<JobValue<J>> {
  try {
    return { ok: true, value: (PROGRAM_JOBS[job] as (e: Record<string, unknown>, a: JobArgs<J>) => JobValue<J>)(exports, args) };
  } catch (error) {
    if (error instanceof ProgramError || error instanceof ScheduleError) return { ok: false, error: error.message };
    // Anything else came from the program (a throwing getter on what it returned, say), maybe from another realm.
    return { ok: false, error: describeThrown(error) };
  }
}

/**
 * The source a sandbox evaluates: the compiled program as a function of `exports` and `module`,
 * opened on the program's first line so that line numbers in stack frames are the learner's.
 */
export function wrapProgram(js: string): string {
  return `(function (exports, module) {${js}\n})`;
}
