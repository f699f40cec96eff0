/** Runs a learner's program in Node: a fresh `node:vm` context, stopped after the time limit. */
import { describeThrown, PROGRAM_FILE, runJob, timeoutMessage, wrapProgram, type JobArgs, type JobName, type JobResult, type JobValue } from './program-jobs.ts';
import type { RunOptions } from './program.ts';

export function runProgramIn<J extends JobName>(js: string, job: J, args: JobArgs<J>, { timeoutMs, signal }: Required<Pick<RunOptions, 'timeoutMs'>> & RunOptions): Promise<JobResult<JobValue<J>>> {
  signal?.throwIfAborted();
  // Not a static import: this module is in the browser's bundle too (never called there).
  const { createContext, runInContext } = process.getBuiltinModule('node:vm') as typeof import('node:vm');
  const module = { exports: {} as Record<string, unknown> };
  // Promise callbacks run inside each runInContext call, under its time limit (an async loop would
  // otherwise run on after it returns). The console is a copy: the program cannot silence the CLI's.
  const context = createContext({ console: { log: console.log.bind(console), warn: console.warn.bind(console), error: console.error.bind(console) }, module }, { microtaskMode: 'afterEvaluate' });
  const timedOut = (error: unknown) => (error as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT';
  try {
    // The time limit covers loading too: the program's top level runs now.
    runInContext(`${wrapProgram(js)}(module.exports, module)`, context, { timeout: timeoutMs, filename: PROGRAM_FILE });
  } catch (error) {
    if (timedOut(error)) return Promise.resolve({ ok: false, error: timeoutMessage(timeoutMs), timedOut: true });
    return Promise.resolve({ ok: false, error: `your code failed as it loaded: ${describeThrown(error)}` });
  }
  // The job runs inside the context's time limit: the watchdog stops the program's loops too.
  context.__job = () => runJob(module.exports, job, args);
  try {
    return Promise.resolve(runInContext('__job()', context, { timeout: timeoutMs }) as JobResult<JobValue<J>>);
  } catch (error) {
    if (timedOut(error)) return Promise.resolve({ ok: false, error: timeoutMessage(timeoutMs), timedOut: true });
    throw error;
  }
}
