import { bsrLayoutFromArgs, bsrStats, pageBatch, randomBatch, type Engine } from '#kernels/index.ts';
import { defineCheck, type CaseResult, type Submission } from '#playground/notebook/exercise.ts';
import solution from './solution.ts?raw';

const PREDICTION = { tokens: 64, stride: 16, block: 8 };

/** The solution mask's blocks at the predicted size; the learner's prediction is held to them. */
function blockCounts(submission: Submission) {
  const { tokens, stride, block } = PREDICTION;
  const batch = randomBatch({ qoLens: [tokens], kvLens: [tokens], numQoHeads: 1, numKvHeads: 1, headDim: 64, seed: 40 });
  const layout = bsrLayoutFromArgs({ ...batch, variant: submission.variant, vars: { stride } }, block, block, 'shared');
  const stats = bsrStats(layout.matrices[0]);
  return { nonEmpty: stats.blocks.full + stats.blocks.partial, full: stats.blocks.full };
}

function gradePrediction(learner: Submission, expected: Submission, _engine: Engine): CaseResult {
  const want = blockCounts(expected);
  const nonEmpty = learner.answers.nonEmptyBlocks as number;
  const full = learner.answers.fullBlocks as number;
  const wrong: string[] = [];
  if (nonEmpty !== want.nonEmpty) wrong.push(`${nonEmpty} non-empty blocks is too ${nonEmpty < want.nonEmpty ? 'few' : 'many'}`);
  if (full !== want.full) wrong.push(`${full} full blocks is too ${full < want.full ? 'few' : 'many'}`);
  if (wrong.length === 0) return { passed: true, summary: `Right: ${nonEmpty} of the 64 blocks are non-empty, ${full} of them full.` };
  return { passed: false, summary: `Your prediction is off: ${wrong.join('; ')}. Count block row by block row.` };
}

export const check = defineCheck({
  solution,
  format: { variant: true, answers: [{ name: 'nonEmptyBlocks', kind: 'count' }, { name: 'fullBlocks', kind: 'count' }] },
  cases: [
    {
      name: 'prefill of 64 tokens, stride 16',
      description: 'The prompt the prediction is about: local windows and the summary keys 15, 31 and 47.',
      batch: () => randomBatch({ qoLens: [64], kvLens: [64], numQoHeads: 2, numKvHeads: 2, headDim: 64, seed: 41 }),
      vars: { stride: 16 },
    },
    {
      name: 'stride 4',
      description: 'A 20-token prompt with a short stride: summary keys 3, 7, 11 and 15.',
      batch: () => randomBatch({ qoLens: [20], kvLens: [20], numQoHeads: 2, numKvHeads: 2, headDim: 64, seed: 42 }),
      vars: { stride: 4 },
    },
    {
      name: 'length 1',
      description: 'One query, one key: the key is in the local window.',
      batch: () => randomBatch({ qoLens: [1], kvLens: [1], numQoHeads: 2, numKvHeads: 2, headDim: 64, seed: 43 }),
      vars: { stride: 4 },
    },
    {
      name: 'rows that see no key',
      description: '6 queries appended to 3 keys: the first 3 rows see nothing (o = 0, lse = −∞), summary or not.',
      batch: () => randomBatch({ qoLens: [6], kvLens: [3], numQoHeads: 2, numKvHeads: 2, headDim: 64, seed: 44 }),
      vars: { stride: 2 },
    },
    {
      name: 'GQA decode over a paged cache, stride 8',
      description: '4 query heads share 1 KV head; pages of 16 keys, last pages partly filled (40 and 21 keys).',
      batch: () => pageBatch(randomBatch({ qoLens: [1, 2], kvLens: [40, 21], numQoHeads: 4, numKvHeads: 1, headDim: 64, seed: 45 }), 16, 45),
      vars: { stride: 8 },
    },
    {
      name: 'predicted blocks, 64 tokens in 8 × 8 blocks',
      description: 'Your nonEmptyBlocks and fullBlocks against the layout of the fixed pattern with stride 16.',
      grade: gradePrediction,
    },
  ],
});
