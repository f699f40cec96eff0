import {
  naivePlan,
  pageBatch,
  plan,
  randomBatch,
  referenceAttention,
  runPlanOnCpu,
  type AttentionArgs,
  type Engine,
  type Plan,
  type PlanBatch,
} from '#kernels/index.ts';
import { defineCheck, matchesReference, TOLERANCE, type CaseResult, type Submission } from '#playground/notebook/exercise.ts';
import solution from './solution.ts?raw';

const KV_LENS = [3072, 1024, 1024, 512, 512];
const WORKGROUPS = 4;
const BATCH: PlanBatch = { qoLens: KV_LENS.map(() => 1), kvLens: KV_LENS, numQoHeads: 1 };
const DEVICE = { workgroups: WORKGROUPS };

const naive = naivePlan(BATCH, DEVICE);
/** The perfect spread: the naive plan's cost over the slots. No plan finishes earlier. */
const SPREAD = naive.totalCost / WORKGROUPS;
/** Within 1% of the perfect spread, in whole cost units. */
const BOUND = Math.floor(1.01 * SPREAD);

/** The plan of the learner's chunk, or why there is none (the answer is a whole number ≥ 0: the source format checks that). */
function chunkPlan(learner: Submission): Plan | string {
  const chunk = learner.answers.chunk as number;
  if (chunk < 1) return `chunk must be a whole number of keys ≥ 1, got ${chunk}`;
  return plan(BATCH, DEVICE, { chunk });
}

const costs = (p: Plan) => p.items.map((item) => item.cost).sort((a, b) => b - a);

function naiveMakespan(learner: Submission): CaseResult {
  const got = learner.answers.naiveMakespan;
  if (got === naive.maxLoad) return { passed: true, summary: `Yes: the 3072-key request alone keeps its slot busy for ${naive.maxLoad} units while the others finish by ${Math.max(...naive.loads.filter((load) => load < naive.maxLoad))}.` };
  return {
    passed: false,
    summary: `Your naive makespan ${String(got)} is off: the items cost ${naive.items.map((item) => item.cost).join(', ')}; the busiest of the ${WORKGROUPS} slots ends later or earlier than that. Place them in request order, each on the slot that frees first.`,
  };
}

function balances(learner: Submission): CaseResult {
  const planned = chunkPlan(learner);
  if (typeof planned === 'string') return { passed: false, summary: `Not a chunk: ${planned}.` };
  const summary = `chunk ${planned.chunkSize || learner.answers.chunk}: items of ${costs(planned).join(', ')} units finish at ${planned.maxLoad}`;
  if (planned.maxLoad <= BOUND) return { passed: true, summary: `${summary}, within 1% of the perfect spread ${SPREAD}.` };
  return { passed: false, summary: `${summary}; the perfect spread is ${SPREAD}, and within 1% means at most ${BOUND}. The busiest slot should not hold more than its share.` };
}

function oneMerge(learner: Submission): CaseResult {
  const planned = chunkPlan(learner);
  if (typeof planned === 'string') return { passed: false, summary: `Not checked: ${planned}.` };
  const split = planned.merges.map((merge) => merge.request);
  if (split.length === 1) return { passed: true, summary: `Only request ${split[0]} (${KV_LENS[split[0]]} keys) is split: one row for the contraction kernel to merge.` };
  if (split.length === 0) return { passed: false, summary: `chunk ${String(learner.answers.chunk)} splits no request: the long one stays whole and sets the makespan. One request should be cut.` };
  return { passed: false, summary: `chunk ${String(learner.answers.chunk)} splits ${split.length} requests (${split.map((b) => `${KV_LENS[b]} keys`).join(', ')}): each split row costs a merge. Should only the longest be cut?` };
}

function makespan(learner: Submission): CaseResult {
  const planned = chunkPlan(learner);
  if (typeof planned === 'string') return { passed: false, summary: `Not checked: ${planned}.` };
  const got = learner.answers.makespan;
  if (got === planned.maxLoad) return { passed: true, summary: `Yes: longest first on the least-loaded slot, the slots end at ${planned.loads.join(', ')}.` };
  return { passed: false, summary: `Your makespan ${String(got)} is off for chunk ${String(learner.answers.chunk)}: its items cost ${costs(planned).join(', ')}. Give each, longest first, to the slot with the least work so far, and read the busiest slot's end.` };
}

/** The task's batch as attention inputs: paged (pages of 16), one head, head dim 64. */
function attentionArgs(): AttentionArgs {
  return pageBatch(randomBatch({ qoLens: BATCH.qoLens, kvLens: KV_LENS, numQoHeads: 1, numKvHeads: 1, headDim: 64, causal: true, seed: 61 }), 16, 61);
}

async function attentionUnderPlan(learner: Submission, _solution: Submission, engine: Engine): Promise<CaseResult> {
  const planned = chunkPlan(learner);
  if (typeof planned === 'string') return { passed: false, summary: `Not checked: ${planned}.` };
  const args = attentionArgs();
  const started = performance.now();
  const gpu = engine.backend === 'webgpu';
  const got = gpu ? await engine.run({ ...args, plan: planned }) : runPlanOnCpu(args, planned);
  const ms = performance.now() - started;
  const want = referenceAttention(args);
  const { passed, maxAbsError } = matchesReference(got, want);
  const where = gpu ? 'the decode kernel on your GPU' : 'the CPU reference of a plan (runPlanOnCpu)';
  return {
    passed,
    maxAbsError,
    bound: TOLERANCE,
    ms,
    summary: passed
      ? `Your plan's ${planned.items.length} items and ${planned.merges.length} merge${planned.merges.length === 1 ? '' : 's'}, run by ${where}, equal attention without any split.`
      : `Your plan, run by ${where}, differs from attention without a split by ${maxAbsError.toExponential(2)}.`,
  };
}

export const check = defineCheck({
  solution,
  format: { variant: false, answers: [{ name: 'naiveMakespan', kind: 'count' }, { name: 'chunk', kind: 'count' }, { name: 'makespan', kind: 'count' }] },
  cases: [
    { name: 'the naive makespan', description: 'One item per request, in request order, each on the slot that frees first.', grade: naiveMakespan },
    { name: 'your chunk balances the batch', description: `The plan of your chunk finishes within 1% of the perfect spread (${SPREAD} units).`, grade: balances },
    { name: 'one merge', description: 'Only one request is split, so only one row needs the contraction.', grade: oneMerge },
    { name: 'your makespan', description: 'Your hand placement, longest first on the least-loaded slot, matches the planner.', grade: makespan },
    { name: 'attention under your plan', description: 'Every item writes a partial state; the merge of each split row must equal attention over all its keys.', grade: attentionUnderPlan },
  ],
});
