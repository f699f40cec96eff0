import { describe, expect, it } from 'vitest';
import { referenceAttention, referenceWeights, type AttentionArgs } from '#kernels/index.ts';

const D = 64;

/** One request, one head; q/k/v rows given as sparse {dim: value} maps over D dims. */
function oneHead(qRows: number[][], kRows: number[][], vRows: number[][], causal = false): AttentionArgs {
  const pack = (rows: number[][]) => {
    const out = new Float32Array(rows.length * D);
    rows.forEach((row, i) => row.forEach((x, d) => (out[i * D + d] = x)));
    return out;
  };
  return {
    q: pack(qRows),
    qoIndptr: [0, qRows.length],
    kv: { kind: 'ragged', k: pack(kRows), v: pack(vRows), kvIndptr: [0, kRows.length] },
    numQoHeads: 1,
    numKvHeads: 1,
    headDim: D,
    causal,
    smScale: 1,
  };
}

describe('referenceAttention (the specification)', () => {
  it('returns the single value row and lse = q·k when there is one key', () => {
    const { o, lse } = referenceAttention(oneHead([[2, 3]], [[0.5, 1]], [[7, -1, 4]]));
    expect(Array.from(o.slice(0, 3))).toEqual([7, -1, 4]);
    expect(lse[0]).toBeCloseTo(2 * 0.5 + 3 * 1, 6);
  });

  it('weights two keys by softmax of their scores', () => {
    // scores 0 and ln 3: weights 1/4 and 3/4; lse = ln(1 + 3)
    const { o, lse } = referenceAttention(oneHead([[1]], [[0], [Math.log(3)]], [[4, 0], [0, 8]]));
    expect(o[0]).toBeCloseTo(1, 6);
    expect(o[1]).toBeCloseTo(6, 5);
    expect(lse[0]).toBeCloseTo(Math.log(4), 6);
  });

  it('is bottom-right causal: the last query sees every key, earlier ones one fewer each', () => {
    const args = oneHead([[1], [1]], [[0], [0], [0]], [[1], [2], [4]], true);
    const { o } = referenceAttention(args);
    expect(o[0]).toBeCloseTo((1 + 2) / 2, 6); // query 0 sees keys 0..1
    expect(o[D]).toBeCloseTo((1 + 2 + 4) / 3, 6); // query 1 sees keys 0..2
  });

  it('gives o = 0 and lse = -Infinity to a query that sees no key, without NaN', () => {
    // 3 queries, 1 key, causal: query 0 sees key <= 0 + 1 - 3 < 0, i.e. nothing.
    const { o, lse } = referenceAttention(oneHead([[1], [1], [1]], [[1]], [[5]], true));
    expect(lse[0]).toBe(-Infinity);
    expect(lse[1]).toBe(-Infinity);
    expect(Array.from(o.slice(0, 2 * D)).every((x) => x === 0)).toBe(true);
    expect(o[2 * D]).toBe(5);
  });

  it('maps query head h to KV head floor(h / group) under grouped-query attention', () => {
    const numQoHeads = 4;
    const numKvHeads = 2;
    const v = new Float32Array(numKvHeads * D);
    v[0] = 10; // kv head 0
    v[D] = 20; // kv head 1
    const { o } = referenceAttention({
      q: new Float32Array(numQoHeads * D),
      qoIndptr: [0, 1],
      kv: { kind: 'ragged', k: new Float32Array(numKvHeads * D), v, kvIndptr: [0, 1] },
      numQoHeads,
      numKvHeads,
      headDim: D,
    });
    expect([0, 1, 2, 3].map((h) => o[h * D])).toEqual([10, 10, 20, 20]);
  });

  it('keeps requests of a batch apart', () => {
    const args: AttentionArgs = {
      q: new Float32Array(2 * D),
      qoIndptr: [0, 1, 2],
      kv: { kind: 'ragged', k: new Float32Array(3 * D), v: new Float32Array(3 * D).fill(1).map((_, i) => Math.floor(i / D)), kvIndptr: [0, 1, 3] },
      numQoHeads: 1,
      numKvHeads: 1,
      headDim: D,
    };
    const { o } = referenceAttention(args);
    expect(o[0]).toBe(0); // request 0 sees only key 0 (value 0)
    expect(o[D]).toBeCloseTo(1.5, 6); // request 1 sees keys 1 and 2 equally
  });
});

describe('referenceWeights', () => {
  it('gives rows that sum to 1, and zero rows for queries that see nothing', () => {
    const args = oneHead([[1], [0.5], [2]], [[1], [-1]], [[1], [1]], true);
    const { weights, qoLen, kvLen } = referenceWeights(args, 0, 0);
    expect([qoLen, kvLen]).toEqual([3, 2]);
    expect(weights[0] + weights[1]).toBe(0);
    expect(weights[2]).toBe(1);
    expect(weights[4] + weights[5]).toBeCloseTo(1, 12);
  });

  it('rejects a request or head outside the batch', () => {
    const args = oneHead([[1]], [[1]], [[1]]);
    expect(() => referenceWeights(args, 1, 0)).toThrow(/request 1 is outside/);
    expect(() => referenceWeights(args, 0, 2)).toThrow(/qoHead 2 is outside/);
  });
});
