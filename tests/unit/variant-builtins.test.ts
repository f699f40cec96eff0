import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUILTIN_VARIANTS, compileVariant, raggedKernelSource } from '#kernels/index.ts';

const GOLDEN = 'tests/golden/wgsl';

describe('built-in variants', () => {
  it('include every variant the lessons rely on', () => {
    expect(BUILTIN_VARIANTS.map((b) => b.id)).toEqual([
      'alibi', 'attention-sink', 'causal', 'document-mask', 'flash-sigmoid', 'gqa', 'prefix-lm', 'rope', 'sliding-window', 'soft-cap', 'tree-mask',
    ]);
  });

  it.each(BUILTIN_VARIANTS)('$id compiles and its WGSL matches the golden snapshot', ({ id, source }) => {
    const result = compileVariant(source);
    if (!result.ok) throw new Error(`${id}: ${JSON.stringify(result.errors)}`);
    const file = `${GOLDEN}/${id}.wgsl`;
    const expected = existsSync(file) ? readFileSync(file, 'utf8') : '';
    if (result.variant.wgsl !== expected) {
      // Review the -changed file; if the new code is right, move it over the golden file.
      writeFileSync(`${file}-changed`, result.variant.wgsl);
    }
    expect(result.variant.wgsl, `generated WGSL differs from ${file} (see ${file}-changed)`).toBe(expected);
  });

  it('gives each variant its own pipeline cache key, and the same source the same key', () => {
    const hashes = BUILTIN_VARIANTS.map((b) => (compileVariant(b.source) as { ok: true; variant: { hash: string } }).variant.hash);
    expect(new Set(hashes).size).toBe(BUILTIN_VARIANTS.length);
    const again = compileVariant(BUILTIN_VARIANTS[0].source);
    expect(again.ok && again.variant.hash).toBe(hashes[0]);
  });

  it('includes the hooks into the kernel template once, with every constant specialized', () => {
    const result = compileVariant(BUILTIN_VARIANTS.find((b) => b.id === 'soft-cap')!.source);
    if (!result.ok) throw new Error('soft-cap failed');
    const code = raggedKernelSource(128, result.variant);
    expect(code.split('fn logits_transform(').length).toBe(2);
    expect(code).toContain('const HEAD_DIM: u32 = 128u;');
    expect(code).not.toMatch(/^\/\/ @hooks$/m);
  });
});
