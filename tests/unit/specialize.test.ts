import { describe, expect, it } from 'vitest';
import { specialize } from '#kernels/wgsl/specialize.ts';
import { raggedKernelSource, RAGGED_TILES } from '#kernels/index.ts';

const template = 'const A: u32 = 1u;  // specialized\nconst B: u32 = 2u; // specialized\nconst C: u32 = 3u;\n';

describe('specialize', () => {
  it('replaces exactly the marked constants', () => {
    expect(specialize(template, 't', { A: 7, B: 9 })).toBe('const A: u32 = 7u;  // specialized\nconst B: u32 = 9u; // specialized\nconst C: u32 = 3u;\n');
  });

  it('refuses a missing, unknown or non-u32 value', () => {
    expect(() => specialize(template, 't', { A: 1 })).toThrow('t: no value for specialized constant B');
    expect(() => specialize(template, 't', { A: 1, B: 2, C: 3 })).toThrow('t: template has no specialized constant C');
    expect(() => specialize(template, 't', { A: -1, B: 2 })).toThrow('t: A must be a u32, got -1');
  });

  it('specializes the ragged kernel per head dim with tiles that fit 16 KiB of workgroup memory', () => {
    for (const headDim of [64, 128] as const) {
      const { TILE_Q, TILE_K, THREADS_PER_ROW } = RAGGED_TILES[headDim];
      const source = raggedKernelSource(headDim);
      expect(source).toContain(`const HEAD_DIM: u32 = ${headDim}u;`);
      expect(source).toContain(`const TILE_K: u32 = ${TILE_K}u;`);
      const words = TILE_Q * headDim + TILE_K * (headDim + 1) + TILE_Q * TILE_K;
      expect(words * 4).toBeLessThanOrEqual(16384);
      expect(headDim % THREADS_PER_ROW).toBe(0);
      expect(TILE_K % THREADS_PER_ROW).toBe(0);
    }
  });
});
