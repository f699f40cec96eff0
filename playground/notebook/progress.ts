/**
 * A learner's exercise progress: their code, whether they have passed, how many hints they opened.
 * Pure parsing and serializing, with the storage passed in, so that the page (localStorage) and the
 * tests (a Map) use the same code. Whatever is stored or imported is validated: corrupt or foreign
 * data never reaches the page.
 */

/** Marks a JSON file as ours, so that an unrelated JSON file is refused with a clear sentence. */
export const PROGRESS_FORMAT = 'attention-lab-progress';
export const PROGRESS_VERSION = 1;
/** One key for every lesson's exercises: export and import read and write it whole. */
export const PROGRESS_STORAGE_KEY = 'attention-lab:progress';
/**
 * Code typed since the last full save, by exercise id: written synchronously on every edit (one
 * small string per exercise being edited), so a tab that crashes between an edit and the
 * debounced save of the whole progress loses nothing. Loading applies it over the saved code.
 */
export const DRAFTS_STORAGE_KEY = 'attention-lab:drafts';
/** A bound on one exercise's code, far above any real answer, so a bad file cannot fill storage. */
export const MAX_CODE_LENGTH = 200_000;

const EXERCISE_ID = /^[a-z0-9][a-z0-9-]*\/[a-z0-9][a-z0-9-]*$/;

export interface ExerciseProgress {
  /** The learner's current source. */
  code: string;
  /** True once a check of their code passed every case; editing afterwards does not undo it. */
  passed: boolean;
  /** How many hints are revealed. */
  hintsShown: number;
  /** True once they asked to see the solution. */
  solutionShown: boolean;
}

export interface Progress {
  format: typeof PROGRESS_FORMAT;
  version: typeof PROGRESS_VERSION;
  /** By exercise id, `01-jit-variants/01-soft-cap`. */
  exercises: Record<string, ExerciseProgress>;
}

export type ParsedProgress =
  | { ok: true; progress: Progress; /** Entries left out, each with why. */ skipped: string[] }
  | { ok: false; error: string };

/** The part of the Web Storage API this module uses. */
export interface ProgressStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export type Warn = (message: string) => void;

/**
 * This browser's localStorage, or undefined where there is none (prerendering) or the page may not
 * use it (a sandboxed frame, storage turned off: reading the property throws).
 */
export function browserStorage(): Storage | undefined {
  try {
    return typeof localStorage === 'undefined' ? undefined : localStorage;
  } catch {
    return undefined;
  }
}

export function emptyProgress(): Progress {
  return { format: PROGRESS_FORMAT, version: PROGRESS_VERSION, exercises: {} };
}

export function serializeProgress(progress: Progress): string {
  return JSON.stringify(progress, null, 2);
}

/**
 * Reads progress from text. A file that is not JSON, not ours or of another version is an error;
 * within a good file, an entry with a bad id or bad fields is skipped and named in `skipped`.
 */
export function parseProgress(text: string): ParsedProgress {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `This is not a progress file: it is not valid JSON (${error instanceof Error ? error.message : String(error)}).` };
  }
  if (!isRecord(data) || data.format !== PROGRESS_FORMAT) {
    return { ok: false, error: `This is not an Attention Lab progress file: it has no "format": "${PROGRESS_FORMAT}" field.` };
  }
  if (data.version !== PROGRESS_VERSION) {
    return { ok: false, error: `This progress file has version ${JSON.stringify(data.version)}; this site reads version ${PROGRESS_VERSION}.` };
  }
  if (!isRecord(data.exercises)) {
    return { ok: false, error: 'This progress file has no "exercises" object.' };
  }
  const progress = emptyProgress();
  const skipped: string[] = [];
  for (const [id, entry] of Object.entries(data.exercises)) {
    const problem = EXERCISE_ID.test(id) ? entryProblem(entry) : 'an exercise id is lesson/exercise, e.g. 01-jit-variants/01-soft-cap';
    if (problem) skipped.push(`${id}: ${problem}`);
    else progress.exercises[id] = pickEntry(entry as ExerciseProgress);
  }
  return { ok: true, progress, skipped };
}

function entryProblem(entry: unknown): string | undefined {
  if (!isRecord(entry)) return 'the entry is not an object';
  if (typeof entry.code !== 'string') return '"code" is not a string';
  if (entry.code.length > MAX_CODE_LENGTH) return `"code" is longer than ${MAX_CODE_LENGTH} characters`;
  if (typeof entry.passed !== 'boolean') return '"passed" is not true or false';
  if (!Number.isInteger(entry.hintsShown) || (entry.hintsShown as number) < 0 || (entry.hintsShown as number) > 100) {
    return '"hintsShown" is not a whole number from 0 to 100';
  }
  if (typeof entry.solutionShown !== 'boolean') return '"solutionShown" is not true or false';
  return undefined;
}

/** Only the known fields: unknown ones in a file are dropped, not carried into storage. */
function pickEntry(entry: ExerciseProgress): ExerciseProgress {
  return { code: entry.code, passed: entry.passed, hintsShown: entry.hintsShown, solutionShown: entry.solutionShown };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The stored progress. Nothing stored gives empty progress; corrupt or foreign data is ignored
 * with a warning (and left in place, so nothing is lost until the learner's next save).
 */
export function loadProgress(storage: ProgressStorage | undefined, warn: Warn = console.warn): Progress {
  let text: string | null = null;
  try {
    text = storage?.getItem(PROGRESS_STORAGE_KEY) ?? null;
  } catch (error) {
    warn(`Attention Lab: saved progress could not be read (${error instanceof Error ? error.message : String(error)}).`);
  }
  let progress = emptyProgress();
  if (text !== null) {
    const parsed = parseProgress(text);
    if (!parsed.ok) warn(`Attention Lab: ignoring saved progress. ${parsed.error}`);
    else {
      for (const reason of parsed.skipped) warn(`Attention Lab: ignoring saved progress of ${reason}.`);
      progress = parsed.progress;
    }
  }
  for (const [id, code] of Object.entries(loadDrafts(storage, warn))) {
    progress.exercises[id] = { ...(progress.exercises[id] ?? { passed: false, hintsShown: 0, solutionShown: false }), code };
  }
  return progress;
}

/** The drafts that validate (an exercise id, a string within the length bound); the rest are ignored with a warning. */
function loadDrafts(storage: ProgressStorage | undefined, warn: Warn): Record<string, string> {
  let text: string | null = null;
  try {
    text = storage?.getItem(DRAFTS_STORAGE_KEY) ?? null;
  } catch {
    return {};
  }
  if (text === null) return {};
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    warn('Attention Lab: ignoring unsaved edits: they are not valid JSON.');
    return {};
  }
  if (!isRecord(data)) return {};
  const drafts: Record<string, string> = {};
  for (const [id, code] of Object.entries(data)) {
    if (EXERCISE_ID.test(id) && typeof code === 'string' && code.length <= MAX_CODE_LENGTH) drafts[id] = code;
    else warn(`Attention Lab: ignoring the unsaved edit of ${id}.`);
  }
  return drafts;
}

function writeDrafts(storage: ProgressStorage, change: (drafts: Record<string, string>) => void, warn: Warn): void {
  const drafts = loadDrafts(storage, warn);
  change(drafts);
  try {
    storage.setItem(DRAFTS_STORAGE_KEY, JSON.stringify(drafts));
  } catch (error) {
    warn(`Attention Lab: an edit could not be saved (${error instanceof Error ? error.message : String(error)}).`);
  }
}

/**
 * Keeps one exercise's code at once, on every edit: cheap (only the drafts, usually one entry, are
 * read and written), so it needs no debounce and survives a crash right after the keystroke.
 */
export function saveDraft(storage: ProgressStorage | undefined, id: string, code: string, warn: Warn = console.warn): void {
  if (!storage || code.length > MAX_CODE_LENGTH) return;
  writeDrafts(storage, (drafts) => (drafts[id] = code), warn);
}

/**
 * Saves one exercise, reading the stored progress first so that other exercises (another tab,
 * another lesson) are kept. A full or blocked storage warns; the page goes on.
 */
export function saveExercise(storage: ProgressStorage | undefined, id: string, entry: ExerciseProgress, warn: Warn = console.warn): void {
  if (!storage) return;
  const progress = loadProgress(storage, warn);
  progress.exercises[id] = pickEntry(entry);
  // Once the whole entry is stored, its draft is no longer newer than it.
  if (write(storage, progress, warn)) writeDrafts(storage, (drafts) => delete drafts[id], warn);
}

/**
 * Merges an exported file into storage: its exercises replace the stored ones with the same id.
 * Stricter than loading: any entry that does not validate refuses the whole file, with why.
 */
export function importProgress(storage: ProgressStorage, text: string, warn: Warn = console.warn): { ok: true; count: number } | { ok: false; error: string } {
  const parsed = parseProgress(text);
  if (!parsed.ok) return parsed;
  if (parsed.skipped.length > 0) {
    return { ok: false, error: `This progress file has entries that are not valid, so nothing was imported: ${parsed.skipped.join('; ')}.` };
  }
  const progress = loadProgress(storage, warn);
  Object.assign(progress.exercises, parsed.progress.exercises);
  if (!write(storage, progress, warn)) return { ok: false, error: 'The browser refused to store the imported progress (storage full or blocked).' };
  // An imported exercise's code replaces an unsaved edit of it too.
  writeDrafts(storage, (drafts) => Object.keys(parsed.progress.exercises).forEach((id) => delete drafts[id]), warn);
  return { ok: true, count: Object.keys(parsed.progress.exercises).length };
}

function write(storage: ProgressStorage, progress: Progress, warn: Warn): boolean {
  try {
    storage.setItem(PROGRESS_STORAGE_KEY, serializeProgress(progress));
    return true;
  } catch (error) {
    warn(`Attention Lab: progress could not be saved (${error instanceof Error ? error.message : String(error)}).`);
    return false;
  }
}
