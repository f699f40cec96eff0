import { describe, expect, it } from 'vitest';
import { expectInputError } from './expect-input-error.ts';
import { AttentionInputError, checkAttentionArgs, randomBatch, referenceAttention } from '#kernels/index.ts';

const base = () => randomBatch({ qoLens: [3, 2], kvLens: [4, 5], numQoHeads: 4, numKvHeads: 2, headDim: 64 });


describe('checkAttentionArgs names the argument to fix', () => {
  it('accepts a well-formed batch and derives its shape', () => {
    const shape = checkAttentionArgs(base());
    expect(shape).toMatchObject({ batchSize: 2, totalQo: 5, totalKv: 9, group: 2, causal: false });
    expect(shape.smScale).toBeCloseTo(1 / 8, 12);
  });

  it('rejects head dims other than 64 and 128', () => {
    const args = randomBatch({ qoLens: [1], kvLens: [1], numQoHeads: 1, numKvHeads: 1, headDim: 96 });
    expectInputError(args, 'headDim', /96 is not supported; use one of 64, 128/);
  });

  it('rejects KV heads that do not divide the query heads', () => {
    expectInputError({ ...base(), numKvHeads: 3 }, 'numKvHeads', /3 does not divide numQoHeads 4/);
  });

  it('rejects non-integer head counts', () => {
    expectInputError({ ...base(), numQoHeads: 2.5 }, 'numQoHeads', /positive integer/);
  });

  it('rejects indptr arrays of different lengths', () => {
    const args = base();
    expectInputError({ ...args, kv: { ...args.kv, kvIndptr: [0, 9] } }, 'kv.kvIndptr', /has 2 entries but qoIndptr has 3/);
  });

  it('rejects a decreasing or non-zero-based indptr', () => {
    expectInputError({ ...base(), qoIndptr: [0, 4, 3] }, 'qoIndptr', /entry 2 is 3 after 4/);
    expectInputError({ ...base(), qoIndptr: [1, 3, 5] }, 'qoIndptr', /must start at 0/);
  });

  it('rejects arrays whose length does not match the shape', () => {
    const args = base();
    expectInputError({ ...args, q: args.q.subarray(1) }, 'q', /shape \[5, 4, 64\] needs 1280/);
    expectInputError({ ...args, kv: { ...args.kv, v: new Float32Array(3) } }, 'kv.v', /has 3 values/);
  });

  it('rejects a KV layout it does not know', () => {
    const args = base();
    expectInputError({ ...args, kv: { ...args.kv, kind: 'blocked' } as never }, 'kv.kind', /must be 'ragged' or 'paged', got blocked/);
  });

  it('is the same check the reference runs', () => {
    expect(() => referenceAttention({ ...base(), headDim: 32 })).toThrow(AttentionInputError);
  });
});
