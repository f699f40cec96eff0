import { describe, expect, test } from 'vitest';
import { readSource, VARIANT_ONLY, type SourceFormat } from '#playground/notebook/exercise-source.ts';

const PREDICTION: SourceFormat = { variant: true, answers: [{ name: 'nonEmptyBlocks', kind: 'count' }, { name: 'fullBlocks', kind: 'count' }] };
const LAYOUT: SourceFormat = { variant: false, answers: [{ name: 'indptr', kind: 'counts' }, { name: 'indices', kind: 'counts' }] };
const MASK = 'export function logitsMask(idx: Idx): boolean {\n  return idx.kv <= idx.qo;\n}\n';

describe('reading an exercise source without running it', () => {
  test('a variant alone compiles as lesson 1 does', () => {
    const read = readSource(MASK, VARIANT_ONLY);
    expect(read.ok && read.variant?.ir.hooks.logitsMask).toBeTruthy();
  });

  test('answers are read as literals, and the variant around them compiles with its own lines', () => {
    const read = readSource(`${MASK}export const nonEmptyBlocks = 27;\nexport const fullBlocks = 7 as number;\n`, PREDICTION);
    expect(read).toMatchObject({ ok: true, answers: { nonEmptyBlocks: 27, fullBlocks: 7 } });
    expect(read.ok && read.variant?.ir.hooks.logitsMask).toBeTruthy();

    const broken = readSource(`export const nonEmptyBlocks = 27;\nexport const fullBlocks = 7;\n${MASK.replace('idx.qo', 'idx.qoo')}`, PREDICTION);
    expect(broken.ok).toBe(false);
    // The mask's error is reported on the learner's line 4, though two answer lines were blanked out.
    expect(!broken.ok && broken.diagnostics[0]).toMatchObject({ line: 4 });
  });

  test('an expression, a negative or a fraction where a count belongs is an error at its place, never run', () => {
    const read = readSource(`${MASK}export const nonEmptyBlocks = 3 * 9;\nexport const fullBlocks = -1;\n`, PREDICTION);
    expect(read.ok).toBe(false);
    expect(!read.ok && read.diagnostics.map((d) => [d.line, d.message.split(' holds')[0]])).toEqual([
      [4, '`nonEmptyBlocks`'],
      [5, '`fullBlocks`'],
    ]);
    expect(!read.ok && read.diagnostics[0].message).toContain('not an expression: it is read, not run');
  });

  test('a missing answer and a duplicated one are named', () => {
    const missing = readSource(`${MASK}export const nonEmptyBlocks = 3;\n`, PREDICTION);
    expect(!missing.ok && missing.diagnostics.map((d) => d.message)).toEqual(['Your code has no answer `export const fullBlocks = ...;`.']);
    const twice = readSource(`${MASK}export const nonEmptyBlocks = 3;\nexport const fullBlocks = 1;\nexport const fullBlocks = 2;\n`, PREDICTION);
    expect(twice.ok).toBe(false);
  });

  test('arrays of whole numbers; an answers-only source refuses other code', () => {
    expect(readSource('export const indptr = [0, 1, 3];\nexport const indices = [];\n', LAYOUT)).toEqual({ ok: true, answers: { indptr: [0, 1, 3], indices: [] } });
    const code = readSource('export const indptr = [0, 1];\nexport const indices = [0];\nfetch("https://example.org");\n', LAYOUT);
    expect(!code.ok && code.diagnostics[0]).toMatchObject({ line: 3, message: expect.stringContaining('runs no code') });
    const spread = readSource('export const indptr = [0, ...[1]];\nexport const indices = [0];\n', LAYOUT);
    expect(!spread.ok && spread.diagnostics[0].line).toBe(1);
    const syntax = readSource('export const indptr = [0, 1;\n', LAYOUT);
    expect(!syntax.ok && syntax.diagnostics[0].message).toMatch(/^Syntax error/);
  });
});
