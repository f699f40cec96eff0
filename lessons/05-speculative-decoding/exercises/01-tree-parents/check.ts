import { builtinVariant, compileVariant, packMaskBits, randomBatch, referenceAttention, treeMask, type AttentionArgs, type Engine } from '#kernels/index.ts';
import { defineCheck, matchesReference, TOLERANCE, type CaseResult, type Submission } from '#playground/notebook/exercise.ts';
import solution from './solution.ts?raw';

/** The drawn tree: each draft token's parent (0: the last verified token). */
const PARENTS = [0, 0, 1, 1, 2, 3];
const WORDS = ['"The"', '" cat"', '" dog"', '" sat"', '" ran"', '" barked"', '" down"'];
const PREFIX_KEYS = 5;
const HEADS = { numQoHeads: 2, numKvHeads: 1, headDim: 64 };

const treeVariant = (() => {
  const compiled = compileVariant(builtinVariant('tree-mask').source);
  if (!compiled.ok) throw new Error('the tree-mask variant did not compile');
  return compiled.variant;
})();

/** The answer (the source format has checked it is whole numbers ≥ 0). */
const learnerParents = (learner: Submission) => learner.answers.parents as number[];
/** Token numbers (0 verified, 1 … 6 drafted) to treeMask's parent indices (-1 the prefix, 0 … 5 drafted). */
const toTree = (parents: number[]) => parents.map((p) => p - 1);
const word = (token: number) => `token ${token} (${WORDS[token]})`;

/** Why `parents` is not a tree whose parents come first, or undefined. */
function notATree(parents: number[]): string | undefined {
  if (parents.length !== PARENTS.length) return `parents needs one entry per draft token (${PARENTS.length}) before it can be a tree; yours has ${parents.length}`;
  const late = parents.findIndex((p, i) => p > i);
  if (late === -1) return undefined;
  const token = late + 1;
  const parent = parents[late];
  if (parent > PARENTS.length) return `${word(token)} continues token ${parent}, but the tokens are 0 to ${PARENTS.length}`;
  if (parent === token) return `${word(token)} continues itself; a token continues the verified text (0) or an earlier draft token`;
  return `${word(token)} continues token ${parent}, which is not drafted before it; a token continues the verified text (0) or an earlier draft token`;
}

function onePerToken(learner: Submission): CaseResult {
  const parents = learnerParents(learner);
  if (parents.length !== PARENTS.length) return { passed: false, summary: `parents should have one entry per draft token: ${PARENTS.length}, yours has ${parents.length}.` };
  return { passed: true, summary: `Six entries, for draft tokens 1 to 6.` };
}

function parentsFirst(learner: Submission): CaseResult {
  const why = notATree(learnerParents(learner));
  if (why) return { passed: false, summary: `Not a token tree: ${why}.` };
  return { passed: true, summary: 'Every draft token continues the verified text or an earlier draft token.' };
}

function eachParent(learner: Submission): CaseResult {
  const parents = learnerParents(learner);
  if (notATree(parents)) return { passed: false, summary: 'Not checked: your parents do not form a tree yet (see the cases above).' };
  const wrong = PARENTS.findIndex((p, i) => parents[i] !== p);
  if (wrong === -1) return { passed: true, summary: 'Every draft token continues the token the picture shows.' };
  return { passed: false, summary: `${word(wrong + 1)} should continue ${word(PARENTS[wrong])}; yours says ${word(parents[wrong])}.` };
}

function args(parents: number[]): AttentionArgs {
  const n = parents.length;
  const base = randomBatch({ qoLens: [n], kvLens: [PREFIX_KEYS + n], ...HEADS, causal: false, seed: 81 });
  return { ...base, variant: treeVariant, tensors: packMaskBits([treeMask(toTree(parents), PREFIX_KEYS)]) };
}

async function treeAttention(learner: Submission, _solution: Submission, engine: Engine): Promise<CaseResult> {
  const parents = learnerParents(learner);
  if (notATree(parents)) return { passed: false, summary: 'Not run: your parents do not form a tree yet (see the cases above).' };
  const started = performance.now();
  const got = await engine.run(args(parents));
  const ms = performance.now() - started;
  const want = referenceAttention(args(PARENTS));
  const { passed, maxAbsError } = matchesReference(got, want);
  if (passed) return { passed, maxAbsError, bound: TOLERANCE, ms, summary: 'Tree attention through your tree gives every draft token the attention of its own branch.' };
  const heads = HEADS.numQoHeads;
  const wrong = PARENTS.map((_, i) => i).filter((i) => Array.from({ length: heads }, (_, h) => i * heads + h).some((row) => !(Math.abs(got.lse[row] - want.lse[row]) <= TOLERANCE)));
  return {
    passed,
    maxAbsError,
    bound: TOLERANCE,
    ms,
    summary: `Tree attention through your tree differs from each token's true branch for ${wrong.map((i) => word(i + 1)).join(', ')}: those tokens saw keys of another branch, or missed one of their own.`,
  };
}

export const check = defineCheck({
  solution,
  format: { variant: false, answers: [{ name: 'parents', kind: 'counts' }] },
  cases: [
    { name: 'one parent per draft token', description: 'Six entries, for draft tokens 1 to 6 in order.', grade: onePerToken },
    { name: 'parents come first', description: 'Each draft token continues the verified text (0) or a draft token before it: drafters emit parents before children.', grade: parentsFirst },
    { name: "each token's parent", description: 'The tree the picture draws.', grade: eachParent },
    { name: 'tree attention through your tree', description: "Each draft token sees the verified prefix, its ancestors and itself; its output must equal attention along its true branch.", grade: treeAttention },
  ],
});
