import { describe, expect, it } from 'vitest';
import { EDITOR_DRAFTS_KEY, loadEditorDrafts, saveEditorDraft } from '#playground/notebook/editor-drafts.ts';
import { MAX_CODE_LENGTH } from '#playground/notebook/progress.ts';

function memory(initial?: string) {
  const map = new Map<string, string>();
  if (initial !== undefined) map.set(EDITOR_DRAFTS_KEY, initial);
  return { map, getItem: (key: string) => map.get(key) ?? null, setItem: (key: string, value: string) => void map.set(key, value) };
}

const editors = [
  { name: 'variantSource', value: 'lesson code' },
  { name: 'maskSource', value: 'mask code' },
];

describe('editor drafts', () => {
  it('keeps an edit per lesson and editor, and forgets it once it is the lesson code again', () => {
    const storage = memory();
    expect(saveEditorDraft(storage, '01-jit-variants', 'variantSource', 'my code', 'lesson code')).toBeUndefined();
    expect(saveEditorDraft(storage, '02-sparse-attention', 'variantSource', 'other lesson', 'lesson code')).toBeUndefined();
    expect(loadEditorDrafts(storage, '01-jit-variants', editors)).toEqual({ variantSource: 'my code' });
    expect(loadEditorDrafts(storage, '02-sparse-attention', editors)).toEqual({ variantSource: 'other lesson' });
    saveEditorDraft(storage, '01-jit-variants', 'variantSource', 'lesson code', 'lesson code');
    expect(loadEditorDrafts(storage, '01-jit-variants', editors)).toEqual({});
    expect(JSON.parse(storage.map.get(EDITOR_DRAFTS_KEY)!)).toEqual({ '02-sparse-attention/variantSource': 'other lesson' });
  });

  it('ignores what is not ours: bad JSON, an array, non-strings, editors the lesson no longer has, oversized text', () => {
    for (const stored of ['{not json', '[1, 2]', 'null', '"text"']) expect(loadEditorDrafts(memory(stored), 'l', editors)).toEqual({});
    const mixed = JSON.stringify({ 'l/variantSource': 42, 'l/maskSource': 'ok', 'l/gone': 'old', 'l/x': 'y'.repeat(MAX_CODE_LENGTH + 1) });
    expect(loadEditorDrafts(memory(mixed), 'l', editors)).toEqual({ maskSource: 'ok' });
    // Saving over bad data starts afresh rather than failing.
    const storage = memory('{not json');
    expect(saveEditorDraft(storage, 'l', 'maskSource', 'mine', 'mask code')).toBeUndefined();
    expect(loadEditorDrafts(storage, 'l', editors)).toEqual({ maskSource: 'mine' });
  });

  it('says why an edit could not be saved, too long or refused by the browser, and forgets the older edit', () => {
    const storage = memory();
    saveEditorDraft(storage, 'l', 'maskSource', 'older', 'mask code');
    expect(saveEditorDraft(storage, 'l', 'maskSource', 'x'.repeat(MAX_CODE_LENGTH + 1), 'mask code')).toMatch(/at most 200000 are saved/);
    expect(loadEditorDrafts(storage, 'l', editors)).toEqual({});
    // A quota that refuses the longer value but takes the smaller one without it.
    const quota = memory(JSON.stringify({ 'l/maskSource': 'older' }));
    const tight = { ...quota, setItem: (key: string, value: string) => { if (value.length > 30) throw new DOMException('quota exceeded', 'QuotaExceededError'); quota.setItem(key, value); } };
    expect(saveEditorDraft(tight, 'l', 'maskSource', 'a much longer edit than fits', 'mask code')).toBe('the browser refused to save it (quota exceeded)');
    expect(loadEditorDrafts(quota, 'l', editors)).toEqual({});
  });
});
