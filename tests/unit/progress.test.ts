import { describe, expect, it } from 'vitest';
import {
  emptyProgress,
  importProgress,
  loadProgress,
  parseProgress,
  DRAFTS_STORAGE_KEY,
  PROGRESS_STORAGE_KEY,
  saveDraft,
  saveExercise,
  serializeProgress,
  type ExerciseProgress,
  type ProgressStorage,
} from '#playground/notebook/progress.ts';

const SOFT_CAP = '01-jit-variants/01-soft-cap';
const SIGMOID = '01-jit-variants/02-flash-sigmoid';
const entry: ExerciseProgress = { code: 'export const vars = { cap: 1.0 };', passed: true, hintsShown: 2, solutionShown: false };

function memoryStorage(initial?: string): ProgressStorage & { items: Map<string, string> } {
  const items = new Map<string, string>();
  if (initial !== undefined) items.set(PROGRESS_STORAGE_KEY, initial);
  return { items, getItem: (key) => items.get(key) ?? null, setItem: (key, value) => void items.set(key, value) };
}

function collectWarnings() {
  const warnings: string[] = [];
  return { warnings, warn: (message: string) => void warnings.push(message) };
}

function fileWith(exercises: unknown): string {
  return JSON.stringify({ format: 'attention-lab-progress', version: 1, exercises });
}

describe('serializeProgress and parseProgress', () => {
  it('round-trip every field', () => {
    const progress = emptyProgress();
    progress.exercises[SOFT_CAP] = entry;
    const parsed = parseProgress(serializeProgress(progress));
    expect(parsed).toEqual({ ok: true, progress, skipped: [] });
  });

  it('refuse text that is not JSON, not ours, or of another version, each with a sentence', () => {
    expect(parseProgress('{"format": ')).toMatchObject({ ok: false, error: expect.stringMatching(/^This is not a progress file: it is not valid JSON/) });
    expect(parseProgress('[1, 2]')).toEqual({ ok: false, error: 'This is not an Attention Lab progress file: it has no "format": "attention-lab-progress" field.' });
    expect(parseProgress('{"name": "package"}')).toMatchObject({ ok: false, error: expect.stringContaining('not an Attention Lab progress file') });
    expect(parseProgress('{"format": "attention-lab-progress", "version": 2, "exercises": {}}')).toEqual({
      ok: false,
      error: 'This progress file has version 2; this site reads version 1.',
    });
    expect(parseProgress('{"format": "attention-lab-progress", "version": 1, "exercises": []}')).toEqual({ ok: false, error: 'This progress file has no "exercises" object.' });
  });

  it('skip entries with a bad id or bad fields, naming each, and keep the good ones', () => {
    const parsed = parseProgress(
      fileWith({
        [SOFT_CAP]: entry,
        [SIGMOID]: { ...entry, passed: 'yes' },
        '../etc': entry,
        '01-jit-variants/03-sliding-window-sink': { ...entry, hintsShown: -1 },
        '01-jit-variants/04-x': { ...entry, code: 42 },
        '01-jit-variants/05-y': null,
      }),
    );
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(Object.keys(parsed.progress.exercises)).toEqual([SOFT_CAP]);
    expect(parsed.skipped).toEqual([
      `${SIGMOID}: "passed" is not true or false`,
      '../etc: an exercise id is lesson/exercise, e.g. 01-jit-variants/01-soft-cap',
      '01-jit-variants/03-sliding-window-sink: "hintsShown" is not a whole number from 0 to 100',
      '01-jit-variants/04-x: "code" is not a string',
      '01-jit-variants/05-y: the entry is not an object',
    ]);
  });

  it('drop fields it does not know', () => {
    const parsed = parseProgress(fileWith({ [SOFT_CAP]: { ...entry, extra: 'x' } }));
    expect(parsed.ok && parsed.progress.exercises[SOFT_CAP]).toEqual(entry);
  });

  it('refuse code longer than the bound', () => {
    const parsed = parseProgress(fileWith({ [SOFT_CAP]: { ...entry, code: 'x'.repeat(200_001) } }));
    expect(parsed.ok && parsed.skipped).toEqual([`${SOFT_CAP}: "code" is longer than 200000 characters`]);
  });
});

describe('loadProgress', () => {
  it('gives empty progress when nothing is stored, or there is no storage, without a warning', () => {
    const { warnings, warn } = collectWarnings();
    expect(loadProgress(memoryStorage(), warn)).toEqual(emptyProgress());
    expect(loadProgress(undefined, warn)).toEqual(emptyProgress());
    expect(warnings).toEqual([]);
  });

  it('ignores corrupt or foreign data with a warning, and leaves it in place', () => {
    for (const stored of ['not json', '{"format":"someone-else"}', 'null']) {
      const { warnings, warn } = collectWarnings();
      const storage = memoryStorage(stored);
      expect(loadProgress(storage, warn)).toEqual(emptyProgress());
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/^Attention Lab: ignoring saved progress\. This is not/);
      expect(storage.items.get(PROGRESS_STORAGE_KEY)).toBe(stored);
    }
  });

  it('keeps the valid entries of a partly corrupt store and warns about the others', () => {
    const { warnings, warn } = collectWarnings();
    const progress = loadProgress(memoryStorage(fileWith({ [SOFT_CAP]: entry, [SIGMOID]: { code: 1 } })), warn);
    expect(progress.exercises).toEqual({ [SOFT_CAP]: entry });
    expect(warnings).toEqual([`Attention Lab: ignoring saved progress of ${SIGMOID}: "code" is not a string.`]);
  });

  it('warns when the storage itself throws (blocked by the browser)', () => {
    const { warnings, warn } = collectWarnings();
    const blocked: ProgressStorage = {
      getItem: () => {
        throw new Error('access denied');
      },
      setItem: () => {},
    };
    expect(loadProgress(blocked, warn)).toEqual(emptyProgress());
    expect(warnings).toEqual(['Attention Lab: saved progress could not be read (access denied).']);
  });
});

describe('saveExercise', () => {
  it('writes one exercise and keeps the others', () => {
    const storage = memoryStorage();
    saveExercise(storage, SOFT_CAP, entry);
    saveExercise(storage, SIGMOID, { ...entry, passed: false });
    saveExercise(storage, SOFT_CAP, { ...entry, code: 'changed' });
    expect(loadProgress(storage).exercises).toEqual({ [SOFT_CAP]: { ...entry, code: 'changed' }, [SIGMOID]: { ...entry, passed: false } });
  });

  it('replaces corrupt stored data rather than failing', () => {
    const { warnings, warn } = collectWarnings();
    const storage = memoryStorage('{{{');
    saveExercise(storage, SOFT_CAP, entry, warn);
    expect(loadProgress(storage).exercises).toEqual({ [SOFT_CAP]: entry });
    expect(warnings).toHaveLength(1);
  });

  it('warns when the storage is full', () => {
    const { warnings, warn } = collectWarnings();
    const full: ProgressStorage = {
      getItem: () => null,
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
    };
    saveExercise(full, SOFT_CAP, entry, warn);
    expect(warnings).toEqual(['Attention Lab: progress could not be saved (QuotaExceededError).']);
  });
});

describe('importProgress', () => {
  it('merges a file into storage: its exercises replace those with the same id', () => {
    const storage = memoryStorage();
    saveExercise(storage, SOFT_CAP, { ...entry, passed: false });
    saveExercise(storage, SIGMOID, entry);
    const exported = emptyProgress();
    exported.exercises[SOFT_CAP] = entry;
    expect(importProgress(storage, serializeProgress(exported))).toEqual({ ok: true, count: 1 });
    expect(loadProgress(storage).exercises).toEqual({ [SOFT_CAP]: entry, [SIGMOID]: entry });
  });

  it('refuses a file with any invalid entry and changes nothing', () => {
    const storage = memoryStorage();
    saveExercise(storage, SOFT_CAP, entry);
    const before = storage.items.get(PROGRESS_STORAGE_KEY);
    const result = importProgress(storage, fileWith({ [SIGMOID]: entry, [SOFT_CAP]: { ...entry, solutionShown: 1 } }));
    expect(result).toEqual({
      ok: false,
      error: `This progress file has entries that are not valid, so nothing was imported: ${SOFT_CAP}: "solutionShown" is not true or false.`,
    });
    expect(storage.items.get(PROGRESS_STORAGE_KEY)).toBe(before);
  });

  it('refuses a foreign file with the parser sentence', () => {
    expect(importProgress(memoryStorage(), '{"hello": 1}')).toMatchObject({ ok: false, error: expect.stringContaining('not an Attention Lab progress file') });
  });
});

describe('drafts: code kept on every edit, before the debounced save', () => {
  it('a draft typed after the last save wins when loading, and a full save retires it', () => {
    const storage = memoryStorage();
    saveExercise(storage, SOFT_CAP, entry);
    saveDraft(storage, SOFT_CAP, 'export const vars = { cap: 2.0 };');
    // As if the tab crashed here: no full save followed the edit.
    expect(loadProgress(storage).exercises[SOFT_CAP]).toEqual({ ...entry, code: 'export const vars = { cap: 2.0 };' });
    saveExercise(storage, SOFT_CAP, { ...entry, code: 'export const vars = { cap: 3.0 };' });
    expect(JSON.parse(storage.items.get(DRAFTS_STORAGE_KEY)!)).toEqual({});
    expect(loadProgress(storage).exercises[SOFT_CAP].code).toBe('export const vars = { cap: 3.0 };');
  });

  it('a draft of an exercise never saved before becomes a fresh entry', () => {
    const storage = memoryStorage();
    saveDraft(storage, SIGMOID, 'typed');
    expect(loadProgress(storage).exercises[SIGMOID]).toEqual({ code: 'typed', passed: false, hintsShown: 0, solutionShown: false });
  });

  it('corrupt drafts are ignored with a warning, and the saved progress still loads', () => {
    const storage = memoryStorage();
    saveExercise(storage, SOFT_CAP, entry);
    storage.items.set(DRAFTS_STORAGE_KEY, '{"../x": "a", "' + SIGMOID + '": 5}');
    const { warnings, warn } = collectWarnings();
    expect(loadProgress(storage, warn).exercises).toEqual({ [SOFT_CAP]: entry });
    expect(warnings).toHaveLength(2);
    storage.items.set(DRAFTS_STORAGE_KEY, '{not json');
    expect(loadProgress(storage, warn).exercises).toEqual({ [SOFT_CAP]: entry });
  });

  it('importing an exercise replaces its unsaved draft too', () => {
    const storage = memoryStorage();
    saveDraft(storage, SOFT_CAP, 'draft');
    expect(importProgress(storage, fileWith({ [SOFT_CAP]: entry }))).toEqual({ ok: true, count: 1 });
    expect(loadProgress(storage).exercises[SOFT_CAP]).toEqual(entry);
  });
});
