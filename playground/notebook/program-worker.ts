/// <reference lib="webworker" />
/**
 * The browser's sandbox for a learner's program: one worker per run, which the page terminates
 * when the run takes too long or is cancelled. It receives the compiled program, a job and its
 * arguments, and posts back the job's result.
 */
import { describeThrown, PROGRAM_FILE, runJob, wrapProgram, type JobArgs, type JobName } from './program-jobs.ts';

self.onmessage = (event: MessageEvent<{ js: string; job: JobName; args: JobArgs<JobName> }>) => {
  const { js, job, args } = event.data;
  const module = { exports: {} as Record<string, unknown> };
  try {
    // Indirect eval: the program sees the worker's globals, not this module's scope.
    (0, eval)(`${wrapProgram(js)}\n//# sourceURL=${PROGRAM_FILE}`)(module.exports, module);
  } catch (error) {
    self.postMessage({ ok: false, error: `your code failed as it loaded: ${describeThrown(error)}` });
    return;
  }
  self.postMessage(runJob(module.exports, job, args));
};
