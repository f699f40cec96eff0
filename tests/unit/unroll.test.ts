import { describe, expect, it } from 'vitest';
import { decodeKernelSource } from '#kernels/index.ts';
import { unrollLoops } from '#kernels/wgsl/unroll.ts';

describe('unrollLoops', () => {
  it('replaces a marked loop by one block per iteration with the counter as a constant', () => {
    const code = ['  for (var h = 0u; h < HEADS; h++) { // @unroll', '    x[h] = 1.0;', '  }', '  y = 2.0;'].join('\n');
    expect(unrollLoops(code, 't', { HEADS: 2 })).toBe(
      ['  {', '    const h = 0u;', '    x[h] = 1.0;', '  }', '  {', '    const h = 1u;', '    x[h] = 1.0;', '  }', '  y = 2.0;'].join('\n'),
    );
  });

  it('unrolls nested loops and leaves unmarked loops alone', () => {
    const code = ['for (var u = 0u; u < U; u++) { // @unroll', '  for (var c = 0u; c < C; c++) { // @unroll', '    a[u][c] = 0.0;', '  }', '  for (var i = 0u; i < 9u; i++) {', '  }', '}'].join('\n');
    const out = unrollLoops(code, 't', { U: 2, C: 3 });
    expect(out.match(/a\[u\]\[c\] = 0\.0;/g)).toHaveLength(6);
    expect(out.match(/for \(var i/g)).toHaveLength(2);
  });

  it('refuses a bound it has no count for', () => {
    expect(() => unrollLoops('for (var h = 0u; h < N; h++) { // @unroll\n}', 't', {})).toThrow('t: no unroll count for N');
  });

  it('leaves no marked loop in the decode kernel', () => {
    for (const lanes of [undefined, 4, 32]) expect(decodeKernelSource(128, 4, undefined, 16, lanes)).not.toMatch(/\{ \/\/ @unroll$/m);
  });
});
