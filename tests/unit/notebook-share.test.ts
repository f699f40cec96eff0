import LZString from 'lz-string';
import { describe, expect, test } from 'vitest';
import { decodeShare, encodeShare, forLesson, isEmptyShare, isShareHash, shareForPage } from '#playground/notebook/share.ts';

const CODE = 'export const indptr = [0, 1, 3, 5, 5];\nexport const indices = [0, 0, 1, 0, 1];\n';
const raw = (value: unknown) => `#share=${LZString.compressToEncodedURIComponent(JSON.stringify(value))}`;

describe('share links', () => {
  test('code, inputs and a target survive the round trip, in a URL-safe hash shorter than the code', () => {
    const state = { exercises: { '02-sparse-attention/02-fill-bsr': CODE.repeat(4) }, editors: { maskSource: '// mask' }, inputs: { window: 24, pattern: 'strided', on: true }, target: 'exercise-02-fill-bsr' };
    const hash = encodeShare(state);
    expect(isShareHash(hash)).toBe(true);
    expect(hash).toMatch(/^#share=[A-Za-z0-9+\-$]+$/);
    expect(hash.length).toBeLessThan(JSON.stringify(state).length);
    expect(decodeShare(hash)).toEqual({ ok: true, state });
  });

  test('a section anchor is not a share link', () => {
    expect(isShareHash('#exercises')).toBe(false);
    expect(decodeShare('#exercises')).toEqual({ ok: false, error: 'This is not a share link.' });
  });

  test('a damaged, foreign or oversized link is refused whole, with a sentence', () => {
    expect(decodeShare('#share=@@@')).toMatchObject({ ok: false, error: expect.stringContaining('cannot be unpacked') });
    expect(decodeShare(encodeShare({}).slice(0, 12))).toMatchObject({ ok: false, error: expect.stringMatching(/damaged/) });
    expect(decodeShare(raw({ v: 2 }))).toMatchObject({ ok: false, error: expect.stringContaining('another version') });
    expect(decodeShare(raw({ v: 1, exercises: { x: 42 } }))).toMatchObject({ ok: false, error: expect.stringContaining('the exercise "x" has no valid code') });
    expect(decodeShare(raw({ v: 1, editors: { x: 'a'.repeat(200_001) } }))).toMatchObject({ ok: false });
    expect(decodeShare(raw({ v: 1, inputs: { cap: { toString: 'x' } } }))).toMatchObject({ ok: false, error: expect.stringContaining('input "cap"') });
    expect(decodeShare(raw({ v: 1, target: '"><img src=x>' }))).toMatchObject({ ok: false });
  });

  test("only this lesson's exercises and editors are kept; the rest are named", () => {
    const { state, ignored } = forLesson(
      { exercises: { 'a/b': 'x', 'c/d': 'y' }, editors: { maskSource: 'm', other: 'o' }, inputs: { window: 3 } },
      { exercises: ['a/b'], editors: ['maskSource'] },
    );
    expect(state).toEqual({ exercises: { 'a/b': 'x' }, editors: { maskSource: 'm' }, inputs: { window: 3 } });
    expect(ignored).toEqual(['exercise c/d', 'editor other']);
    expect(isEmptyShare(forLesson({ exercises: { 'c/d': 'y' } }, { exercises: [], editors: [] }).state)).toBe(true);
  });

  test('shareForPage: what a link carries for the page, or why it cannot be used', () => {
    const known = { exercises: [], editors: ['variant'] };
    expect(shareForPage(encodeShare({ editors: { variant: 'v', other: 'o' }, inputs: { seed: 2 } }), known, 'the playground')).toEqual({
      ok: true,
      state: { editors: { variant: 'v' }, inputs: { seed: 2 } },
      ignored: ['editor other'],
    });
    expect(shareForPage(encodeShare({ exercises: { 'a/b': 'x' } }), known, 'the playground')).toEqual({ ok: false, error: 'This share link carries nothing for the playground (it names exercise a/b).' });
    expect(shareForPage('#share=garbage', known, 'this lesson')).toMatchObject({ ok: false, error: expect.stringContaining('This share link is damaged') });
  });
});
