/**
 * A learner's edits of a lesson's editor cells, kept in the browser so a reload (or coming back
 * next week) shows their code, not the lesson's. Pure, with the storage passed in (the page gives
 * localStorage, tests a Map). An editor whose text is the lesson's own is not stored; anything
 * stored that is not ours, or too large, is ignored.
 */
import { MAX_CODE_LENGTH, type ProgressStorage } from './progress.ts';

/** One key for every lesson: `{ "<lesson>/<editor>": text }`. */
export const EDITOR_DRAFTS_KEY = 'attention-lab:editors';

function readAll(storage: ProgressStorage): Record<string, string> {
  try {
    const data: unknown = JSON.parse(storage.getItem(EDITOR_DRAFTS_KEY) ?? '{}');
    if (data === null || typeof data !== 'object' || Array.isArray(data)) return {};
    return Object.fromEntries(Object.entries(data).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1].length <= MAX_CODE_LENGTH));
  } catch {
    return {}; // not JSON: someone else's data, or a half-written value; the lesson's code stands
  }
}

/** The saved text of each of `editors` in `lesson` that the learner changed. */
export function loadEditorDrafts(storage: ProgressStorage, lesson: string, editors: readonly { name: string; value: string }[]): Record<string, string> {
  const all = readAll(storage);
  const drafts: Record<string, string> = {};
  for (const { name, value } of editors) {
    const text = all[`${lesson}/${name}`];
    if (text !== undefined && text !== value) drafts[name] = text;
  }
  return drafts;
}

/**
 * Saves one editor's text (or forgets it when it is the lesson's `original` again). Returns why
 * it could not be saved (storage full or refused, the text too long), or undefined. An edit that
 * cannot be saved also forgets the older one, so a reload never brings back text the learner has
 * since changed.
 */
export function saveEditorDraft(storage: ProgressStorage, lesson: string, name: string, text: string, original: string): string | undefined {
  const all = readAll(storage);
  const key = `${lesson}/${name}`;
  const forget = () => {
    delete all[key];
    try {
      storage.setItem(EDITOR_DRAFTS_KEY, JSON.stringify(all));
    } catch {
      // Refused again: nothing more to do; the caller reports the first refusal.
    }
  };
  if (text.length > MAX_CODE_LENGTH) {
    forget();
    return `this editor holds ${text.length} characters; at most ${MAX_CODE_LENGTH} are saved`;
  }
  if (text === original) delete all[key];
  else all[key] = text;
  try {
    storage.setItem(EDITOR_DRAFTS_KEY, JSON.stringify(all));
    return undefined;
  } catch (error) {
    forget();
    return `the browser refused to save it (${error instanceof Error ? error.message : String(error)})`;
  }
}
