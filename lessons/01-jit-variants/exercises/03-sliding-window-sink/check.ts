import { pageBatch, randomBatch } from '#kernels/index.ts';
import { defineCheck } from '#playground/notebook/exercise.ts';
import solution from './solution.ts?raw';

export const check = defineCheck({
  solution,
  cases: [
    {
      name: 'prefill, window 4, sink 2',
      description: 'A 24-token prompt: each query sees keys 0 and 1 and its last 4 keys.',
      batch: () => randomBatch({ qoLens: [24], kvLens: [24], numQoHeads: 2, numKvHeads: 2, headDim: 64, seed: 31 }),
      vars: { window: 4, sink: 2 },
    },
    {
      name: 'no sink, window 3',
      description: 'sink 0: a pure sliding window.',
      batch: () => randomBatch({ qoLens: [10], kvLens: [10], numQoHeads: 2, numKvHeads: 2, headDim: 64, seed: 32 }),
      vars: { window: 3, sink: 0 },
    },
    {
      name: 'length 1, window 1, sink 0',
      description: 'One query, one key: the key is its own window.',
      batch: () => randomBatch({ qoLens: [1], kvLens: [1], numQoHeads: 2, numKvHeads: 2, headDim: 64, seed: 33 }),
      vars: { window: 1, sink: 0 },
    },
    {
      name: 'rows that see no key',
      description: '6 queries appended to 3 keys: the first 3 rows see nothing (o = 0, lse = −∞) even with a sink.',
      batch: () => randomBatch({ qoLens: [6], kvLens: [3], numQoHeads: 2, numKvHeads: 2, headDim: 64, seed: 34 }),
      vars: { window: 2, sink: 1 },
    },
    {
      name: 'GQA decode over a paged cache, window 8, sink 4',
      description: '4 query heads share 1 KV head; pages of 16 keys, last pages partly filled (40 and 21 keys).',
      batch: () => pageBatch(randomBatch({ qoLens: [1, 2], kvLens: [40, 21], numQoHeads: 4, numKvHeads: 1, headDim: 64, seed: 35 }), 16, 35),
      vars: { window: 8, sink: 4 },
    },
  ],
});
