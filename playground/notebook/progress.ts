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
  if (text === null) return emptyProgress();
  const parsed = parseProgress(text);
  if (!parsed.ok) {
    warn(`Attention Lab: ignoring saved progress. ${parsed.error}`);
    return emptyProgress();
  }
  for (const reason of parsed.skipped) warn(`Attention Lab: ignoring saved progress of ${reason}.`);
  return parsed.progress;
}

/**
 * Saves one exercise, reading the stored progress first so that other exercises (another tab,
 * another lesson) are kept. A full or blocked storage warns; the page goes on.
 */
export function saveExercise(storage: ProgressStorage | undefined, id: string, entry: ExerciseProgress, warn: Warn = console.warn): void {
  if (!storage) return;
  const progress = loadProgress(storage, warn);
  progress.exercises[id] = pickEntry(entry);
  write(storage, progress, warn);
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
