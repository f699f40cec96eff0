import { costModelFromTable, DEFAULT_KERNEL_TABLE, poissonArrivals, shareGptLike, simulate, summarize, uniformLengths, type Engine, type Iteration, type SimulationResult, type WorkloadRequest } from '#kernels/index.ts';
import { defineCheck, type CaseResult, type Matrix, type Submission } from '#playground/notebook/exercise.ts';
import type { SimulateArgs } from '#playground/notebook/program-jobs.ts';
import { runProgram } from '#playground/notebook/program.ts';
import solution from './solution.ts?raw';

/** The lesson's iteration cost: a Llama-3-8B-like model with attention fitted to this repo's kernels on an H200. */
const cost = costModelFromTable(DEFAULT_KERNEL_TABLE);

interface Workload {
  name: string;
  requests: WorkloadRequest[];
  tokenBudget: number;
  maxRunning: number;
}

/** Four chatting requests, then a 3000-token prompt and a 700-token one arrive. */
const LONG_PROMPT: Workload = {
  name: 'a long prompt among decodes',
  requests: [
    ...[0, 1, 2, 3].map((id) => ({ id, arrivalMs: id * 5, promptLen: 100 + 20 * id, outputLen: 300 })),
    { id: 4, arrivalMs: 400, promptLen: 3000, outputLen: 50 },
    { id: 5, arrivalMs: 420, promptLen: 700, outputLen: 50 },
  ],
  tokenBudget: 512,
  maxRunning: 64,
};
const UNIFORM: Workload = { name: '30 requests of 512–2048 tokens', requests: poissonArrivals(uniformLengths(30, 512, 2048, 11), 2, 12), tokenBudget: 512, maxRunning: 64 };
const SHAREGPT: Workload = { name: '80 ShareGPT-like requests', requests: poissonArrivals(shareGptLike(80, 13), 8, 14), tokenBudget: 256, maxRunning: 64 };
const TIGHT: Workload = { name: 'the ShareGPT-like requests with room for 4 in the KV cache', requests: SHAREGPT.requests, tokenBudget: 512, maxRunning: 4 };

type Run = { ok: true; result: SimulationResult } | { ok: false; error: string };

/** Runs per program and workload: the cases share the learner's runs. */
const runs = new Map<string, Promise<Run>>();
/** Programs stopped at the time limit once: their other workloads are not run (each would wait the limit out again). */
const stopped = new Map<string, string>();

function run(program: string, workload: Workload, signal?: AbortSignal): Promise<Run> {
  const key = `${workload.name}\n${program}`;
  if (!runs.has(key)) {
    if (runs.size > 16) {
      runs.clear();
      stopped.clear();
    }
    const args: SimulateArgs = { entry: 'schedule', workload: workload.requests, options: { cost, tokenBudget: workload.tokenBudget, maxRunning: workload.maxRunning } };
    const earlier = stopped.get(program);
    const result: Promise<Run> = earlier
      ? Promise.resolve({ ok: false, error: `not run, since ${earlier}` })
      : runProgram(program, 'simulate', args, { signal }).then((r) => {
          if (r.ok) return { ok: true, result: r.value };
          if (r.timedOut) stopped.set(program, `on ${workload.name} ${r.error}`);
          return { ok: false, error: r.error };
        });
    runs.set(key, result);
    // A cancelled run is not kept: the next Check runs it again.
    result.catch(() => runs.delete(key));
  }
  return runs.get(key)!;
}

/**
 * Sarathi-Serve's schedule of a workload: the built-in policy the lesson runs (the solution's must
 * equal it, which the exercise's tests check by passing it). In process, once per workload.
 */
const builtIn = new Map<Workload, SimulationResult>();
function sarathiRun(workload: Workload): SimulationResult {
  if (!builtIn.has(workload)) builtIn.set(workload, simulate(workload.requests, { policy: 'sarathi', cost, tokenBudget: workload.tokenBudget, maxRunning: workload.maxRunning }));
  return builtIn.get(workload)!;
}

const ms = (x: number) => `${x.toFixed(1)} ms`;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Replays a schedule over its workload and returns the first break of a rule, in a sentence:
 * `stall` (a request whose prompt is done misses an iteration), `budget` (more tokens than the
 * budget, unless only decodes), `fill` (room left while a prompt could use it) and `order` (prompt
 * tokens go first come, first served).
 */
function firstBreak(workload: Workload, iterations: readonly Iteration[], rules: ReadonlySet<'stall' | 'budget' | 'fill' | 'order'>): string | undefined {
  const byId = new Map(workload.requests.map((r) => [r.id, r]));
  const arrivalOrder = [...workload.requests].sort((a, b) => a.arrivalMs - b.arrivalMs || a.id - b.id);
  const prefilled = new Map<number, number>();
  const generated = new Map<number, number>();
  const admitted: number[] = [];
  for (const [i, it] of iterations.entries()) {
    const where = `Iteration ${i} (at ${ms(it.startMs)})`;
    const running = admitted.filter((id) => (generated.get(id) ?? 0) < byId.get(id)!.outputLen);
    const waiting = arrivalOrder.filter((r) => r.arrivalMs <= it.startMs && !prefilled.has(r.id)).map((r) => r.id);
    const left = (id: number) => byId.get(id)!.promptLen - (prefilled.get(id) ?? 0);
    if (rules.has('stall')) {
      const stalled = running.find((id) => left(id) === 0 && !it.decodes.includes(id));
      if (stalled !== undefined) {
        return `${where} did not decode request ${stalled}, whose prompt was done: it stalled for ${ms(it.ms)}. Every running decode should ride in every iteration.`;
      }
    }
    const promptTokens = it.prefill.reduce((sum, p) => sum + p.tokens, 0);
    const tokens = promptTokens + it.decodes.length;
    if (rules.has('budget') && tokens > workload.tokenBudget && promptTokens > 0) {
      return `${where} processed ${promptTokens} prompt tokens and ${plural(it.decodes.length, 'decode')}, ${tokens} tokens, over the budget of ${workload.tokenBudget}: a prompt that does not fit should be split into chunks.`;
    }
    const given = new Map(it.prefill.map((p) => [p.id, p.tokens]));
    const line = [...running.filter((id) => left(id) > 0), ...waiting];
    if (rules.has('order')) {
      const firstShort = line.findIndex((id) => (given.get(id) ?? 0) < left(id));
      const jumped = firstShort === -1 ? undefined : line.slice(firstShort + 1).find((id) => given.has(id));
      if (jumped !== undefined) {
        const ahead = line[firstShort];
        return `${where} gave ${given.get(jumped)} prompt tokens to request ${jumped} while request ${ahead}, ahead of it in line, still had ${left(ahead) - (given.get(ahead) ?? 0)} to go: prompt tokens should go first come, first served.`;
      }
    }
    if (rules.has('fill') && tokens < workload.tokenBudget) {
      const admittedNow = it.prefill.filter((p) => !prefilled.has(p.id)).map((p) => p.id);
      // A prompt with tokens left after this iteration: running before it, or admitted by it with a short chunk.
      const unfinished = [...running, ...admittedNow].find((id) => left(id) > (given.get(id) ?? 0));
      const couldAdmit = running.length + admittedNow.length < workload.maxRunning ? waiting.find((id) => !given.has(id)) : undefined;
      const idle = unfinished ?? couldAdmit;
      if (idle !== undefined) {
        return `${where} used ${tokens} of its ${workload.tokenBudget} tokens while request ${idle} ${idle === unfinished ? 'still had prompt tokens to go' : 'waited, with room in the KV cache'}: fill the budget with prompt chunks.`;
      }
    }
    for (const p of it.prefill) {
      if (!prefilled.has(p.id)) admitted.push(p.id);
      prefilled.set(p.id, (prefilled.get(p.id) ?? 0) + p.tokens);
      if (left(p.id) === 0) generated.set(p.id, 1);
    }
    for (const id of it.decodes) generated.set(id, (generated.get(id) ?? 0) + 1);
  }
  return undefined;
}

/** Who did what in the first iterations: 0 not running, 1 waiting or stalled, 2 decoding, 3 prompt tokens. */
function picture(workload: Workload, iterations: readonly Iteration[], whose: string): Matrix {
  const rows = Math.min(16, workload.requests.length);
  const cols = Math.min(64, iterations.length);
  const values: number[] = [];
  const ids = [...workload.requests].sort((a, b) => a.arrivalMs - b.arrivalMs || a.id - b.id).slice(0, rows);
  const done = new Map<number, number>();
  iterations.forEach((it, i) => it.decodes.concat(it.prefill.map((p) => p.id)).forEach((id) => done.set(id, i)));
  for (const r of ids) {
    for (let i = 0; i < cols; i++) {
      const it = iterations[i];
      if (it.prefill.some((p) => p.id === r.id)) values.push(3);
      else if (it.decodes.includes(r.id)) values.push(2);
      else values.push(r.arrivalMs <= it.startMs && i <= (done.get(r.id) ?? -1) ? 1 : 0);
    }
  }
  return {
    rows,
    cols,
    values,
    rowLabel: 'request',
    colLabel: 'iteration',
    label: `${whose}: the first ${plural(cols, 'iteration')}, requests by arrival (0 not running, 1 waiting or stalled, 2 decoding, 3 prompt tokens)`,
  };
}

/** A case that runs the learner's scheduler on workloads and holds it to some of the rules. */
function rulesCase(name: string, description: string, workloads: Workload[], rules: ('stall' | 'budget' | 'fill' | 'order')[], passed: string) {
  return {
    name,
    description,
    async grade(learner: Submission, _solution: Submission, _engine: Engine, { signal }: { signal?: AbortSignal }): Promise<CaseResult> {
      for (const workload of workloads) {
        const got = await run(learner.program!, workload, signal);
        if (!got.ok) return { passed: false, summary: `On ${workload.name} your scheduler failed: ${got.error}.` };
        const why = firstBreak(workload, got.result.iterations, new Set(rules));
        if (why) {
          const matrices = [picture(workload, got.result.iterations, 'your schedule'), picture(workload, sarathiRun(workload).iterations, 'Sarathi-Serve')];
          return { passed: false, summary: `On ${workload.name}: ${why}`, matrices };
        }
      }
      return { passed: true, summary: passed };
    },
  };
}

export const check = defineCheck({
  solution,
  format: { variant: false, answers: [], program: { exports: ['schedule'] } },
  cases: [
    rulesCase(
      'no decode stalls',
      'Every request whose prompt is done decodes in every iteration, also while a long prompt is processed.',
      [LONG_PROMPT, UNIFORM],
      ['stall'],
      'Every running decode rode in every iteration.',
    ),
    rulesCase(
      'within the token budget',
      'No iteration processes more tokens than the budget.',
      [LONG_PROMPT, UNIFORM],
      ['budget'],
      'Every iteration stayed within its token budget.',
    ),
    rulesCase(
      'the budget filled, first come first served',
      'Room left in an iteration goes to prompt chunks, to the earliest requests first.',
      [LONG_PROMPT, SHAREGPT],
      ['fill', 'order'],
      'Every iteration filled its budget with the earliest prompts.',
    ),
    rulesCase(
      'the KV cache full',
      'With room for only 4 running requests, waiting prompts are admitted as others finish, and every rule still holds.',
      [TIGHT],
      ['stall', 'budget', 'fill', 'order'],
      'With 4 running at most, every rule held.',
    ),
    {
      name: "Sarathi-Serve's latencies",
      description: 'On ShareGPT-like traffic, your TTFT, time between tokens and throughput equal Sarathi-Serve\u2019s (within 0.1%).',
      async grade(learner: Submission, _solution: Submission, _engine: Engine, { signal }: { signal?: AbortSignal }): Promise<CaseResult> {
        const got = await run(learner.program!, SHAREGPT, signal);
        const want = sarathiRun(SHAREGPT);
        if (!got.ok) return { passed: false, summary: `On ${SHAREGPT.name} your scheduler failed: ${got.error}.` };
        const mine = summarize(got.result);
        const theirs = summarize(want);
        const metrics = [
          ['TTFT p50', 'ttftP50'],
          ['TTFT p99', 'ttftP99'],
          ['time between tokens p50', 'tbtP50'],
          ['time between tokens p99', 'tbtP99'],
        ] as const;
        const off = metrics.find(([, key]) => !(Math.abs(mine[key] - theirs[key]) <= 1e-3 * theirs[key]));
        const offThroughput = !(Math.abs(mine.throughput - theirs.throughput) <= 1e-3 * theirs.throughput);
        const table = metrics.map(([label, key]) => `${label} ${ms(mine[key])}`).join(', ');
        if (off || offThroughput) {
          const [label, key] = off ?? ['throughput', 'throughput'];
          const unit = key === 'throughput' ? (x: number) => `${x.toFixed(0)} tokens/s` : ms;
          return {
            passed: false,
            summary: `Your schedule is not Sarathi-Serve's: your ${label} is ${unit(mine[key])} where Sarathi-Serve's is ${unit(theirs[key])} (yours: ${table}).`,
            matrices: [picture(SHAREGPT, got.result.iterations, 'your schedule'), picture(SHAREGPT, want.iterations, 'Sarathi-Serve')],
          };
        }
        return { passed: true, summary: `Equal to Sarathi-Serve: ${table}, ${mine.throughput.toFixed(0)} output tokens/s.` };
      },
    },
  ],
});
