import { pageBatch, randomBatch } from '#kernels/index.ts';
import { defineCheck } from '#playground/notebook/exercise.ts';
import solution from './solution.ts?raw';

/** Random scores are about ±1/3 (d = 64, inputs in [-1, 1)), so the caps are of that size. */
export const check = defineCheck({
  solution,
  cases: [
    {
      name: 'prefill, cap 0.25',
      description: 'A 12-token prompt, causal: every score is squashed.',
      batch: () => randomBatch({ qoLens: [12], kvLens: [12], numQoHeads: 2, numKvHeads: 2, headDim: 64, seed: 11 }),
      vars: { cap: 0.25 },
    },
    {
      name: 'length 1, cap 0.1',
      description: 'One query, one key: the weight is 1 whatever the score, so only lse shows the cap.',
      batch: () => randomBatch({ qoLens: [1], kvLens: [1], numQoHeads: 2, numKvHeads: 2, headDim: 64, seed: 12 }),
      vars: { cap: 0.1 },
    },
    {
      name: 'rows that see no key, cap 0.3',
      description: '5 queries appended to 2 keys: the first 3 queries see no key (o = 0, lse = −∞).',
      batch: () => randomBatch({ qoLens: [5], kvLens: [2], numQoHeads: 2, numKvHeads: 2, headDim: 64, seed: 13 }),
      vars: { cap: 0.3 },
    },
    {
      name: 'GQA over a paged cache, cap 0.5',
      description: '8 query heads share 2 KV heads; pages of 16 keys, last pages partly filled (37 and 20 keys).',
      batch: () => pageBatch(randomBatch({ qoLens: [1, 3], kvLens: [37, 20], numQoHeads: 8, numKvHeads: 2, headDim: 64, seed: 14 }), 16, 14),
      vars: { cap: 0.5 },
    },
    {
      name: 'head dim 128, cap 2',
      description: 'A wider head and a cap larger than most scores: the cap bends only the largest.',
      batch: () => randomBatch({ qoLens: [6, 1], kvLens: [6, 25], numQoHeads: 4, numKvHeads: 4, headDim: 128, seed: 15 }),
      vars: { cap: 2 },
    },
  ],
});
