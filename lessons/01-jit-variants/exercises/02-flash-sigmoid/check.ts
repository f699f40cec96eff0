import { pageBatch, randomBatch } from '#kernels/index.ts';
import { defineCheck } from '#playground/notebook/exercise.ts';
import solution from './solution.ts?raw';

export const check = defineCheck({
  solution,
  cases: [
    {
      name: 'prefill, bias −ln 10',
      description: 'Ten queries over ten keys, no mask, with the bias that makes a row weigh about 1 in total.',
      batch: () => randomBatch({ qoLens: [10], kvLens: [10], numQoHeads: 2, numKvHeads: 2, headDim: 64, seed: 21 }),
      vars: { scale: 1, bias: -Math.log(10) },
    },
    {
      name: 'length 1, scale 2',
      description: 'One query, one key: the output is sigmoid(2·s)·v, not v.',
      batch: () => randomBatch({ qoLens: [1], kvLens: [1], numQoHeads: 2, numKvHeads: 2, headDim: 64, seed: 22 }),
      vars: { scale: 2, bias: 0 },
    },
    {
      name: 'rows that see no key',
      description: 'Causal, 4 queries appended to 2 keys: the first 2 rows see nothing (o = 0, lse = −∞).',
      batch: () => randomBatch({ qoLens: [4], kvLens: [2], numQoHeads: 2, numKvHeads: 2, headDim: 64, causal: true, seed: 23 }),
      vars: { scale: 1, bias: -1 },
    },
    {
      name: 'GQA decode over a paged cache',
      description: '4 query heads share 1 KV head; pages of 8 keys, last pages partly filled (37 and 9 keys).',
      batch: () => pageBatch(randomBatch({ qoLens: [1, 1], kvLens: [37, 9], numQoHeads: 4, numKvHeads: 1, headDim: 64, seed: 24 }), 8, 24),
      vars: { scale: 0.5, bias: -3.6 },
    },
    {
      name: 'negative scale, positive bias',
      description: 'scale −1.5 and bias 0.5: low scores now weigh more than high ones.',
      batch: () => randomBatch({ qoLens: [3, 5], kvLens: [20, 5], numQoHeads: 4, numKvHeads: 2, headDim: 128, causal: true, seed: 25 }),
      vars: { scale: -1.5, bias: 0.5 },
    },
  ],
});
