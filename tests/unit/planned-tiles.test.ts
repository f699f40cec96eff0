import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkAttentionArgs, naivePlan, plan, randomBatch } from '#kernels/index.ts';
import { plannedTileLists } from '#kernels/gpu/composed.ts';

describe('plannedTileLists', () => {
  it('covers every visible (request, query, key) once, and merges exactly the split query rows', () => {
    fc.assert(
      fc.property(
        fc.record({
          requests: fc.array(fc.record({ qo: fc.integer({ min: 0, max: 200 }), extra: fc.integer({ min: 0, max: 400 }) }), { minLength: 1, maxLength: 4 }),
          causal: fc.boolean(),
          chunk: fc.constantFrom(64, 256, 512),
          tileRows: fc.constantFrom(64, 128),
          workgroups: fc.integer({ min: 1, max: 40 }),
          naive: fc.boolean(),
        }),
        ({ requests, causal, chunk, tileRows, workgroups, naive }) => {
          const shape = checkAttentionArgs(randomBatch({ qoLens: requests.map((r) => r.qo), kvLens: requests.map((r) => r.qo + r.extra), numQoHeads: 2, numKvHeads: 1, headDim: 64, causal }));
          const planned = naive ? naivePlan(shape, { workgroups }) : plan(shape, { workgroups }, { chunk, qoTile: tileRows });
          const { lists, merges, partialRows } = plannedTileLists(shape, planned, tileRows);
          const seen = Array.from({ length: shape.batchSize }, (_, b) => new Uint8Array((shape.qoIndptr[b + 1] - shape.qoIndptr[b]) * shape.kvLens[b]));
          const partialOf = new Map<number, Set<number>>();
          for (let n = 0; n < lists.items.length / 4; n++) {
            const [b, q0, base, stride] = lists.items.subarray(4 * n, 4 * n + 4);
            const qoBase = shape.qoIndptr[b];
            const qoLen = shape.qoIndptr[b + 1] - qoBase;
            const [first, count] = lists.lists.subarray(2 * n, 2 * n + 2);
            for (let qo = q0; qo < Math.min(qoLen, q0 + tileRows); qo++) {
              if (stride) {
                const row = (base + (qoBase + qo) * stride) >>> 0;
                expect(row).toBeLessThan(partialRows);
                partialOf.set(qoBase + qo, (partialOf.get(qoBase + qo) ?? new Set()).add(row));
              }
              for (let e = 0; e < count; e++) {
                const kv0 = lists.entries[first + 2 * e];
                for (let kv = kv0; kv < Math.min(kv0 + 64, shape.kvLens[b]); kv++) {
                  if (causal && kv > qo + shape.kvLens[b] - qoLen) continue;
                  seen[b][qo * shape.kvLens[b] + kv]++;
                }
              }
            }
          }
          for (let b = 0; b < shape.batchSize; b++) {
            const qoLen = shape.qoIndptr[b + 1] - shape.qoIndptr[b];
            const kvLen = shape.kvLens[b];
            for (let qo = 0; qo < qoLen; qo++) {
              for (let kv = 0; kv < kvLen; kv++) {
                const want = causal && kv > qo + kvLen - qoLen ? 0 : 1;
                if (seen[b][qo * kvLen + kv] !== want) expect(seen[b][qo * kvLen + kv], `request ${b} query ${qo} key ${kv}`).toBe(want);
              }
            }
          }
          // Each merge gathers exactly the partial rows its query row's items write.
          expect(merges.length / 4).toBe(partialOf.size);
          for (let m = 0; m < merges.length; m += 4) {
            const rows = Array.from({ length: merges[m + 3] }, (_, i) => merges[m + 2] + i);
            expect(new Set(rows)).toEqual(partialOf.get(merges[m]));
          }
        },
      ),
      { numRuns: 40, seed: 9 },
    );
  });
});
