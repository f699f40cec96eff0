/** Runs a learner's program in a Web Worker, terminated on timeout or cancel. */
import { timeoutMessage, type JobArgs, type JobName, type JobResult, type JobValue } from './program-jobs.ts';
import type { RunOptions } from './program.ts';

export function runProgramIn<J extends JobName>(js: string, job: J, args: JobArgs<J>, { timeoutMs, signal }: Required<Pick<RunOptions, 'timeoutMs'>> & RunOptions): Promise<JobResult<JobValue<J>>> {
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted();
    const worker = new Worker(new URL('./program-worker.ts', import.meta.url), { type: 'module', name: 'learner program' });
    const finish = (settle: () => void) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', abort);
      worker.terminate();
      settle();
    };
    const abort = () => finish(() => reject(signal!.reason));
    const timer = setTimeout(() => finish(() => resolve({ ok: false, error: timeoutMessage(timeoutMs), timedOut: true })), timeoutMs);
    signal?.addEventListener('abort', abort);
    worker.onmessage = (event: MessageEvent<JobResult<JobValue<J>>>) => finish(() => resolve(event.data));
    worker.onerror = (event) => finish(() => resolve({ ok: false, error: `your code could not run: ${event.message || 'the worker failed'}` }));
    worker.postMessage({ js, job, args });
  });
}
