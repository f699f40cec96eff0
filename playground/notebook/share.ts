/**
 * Share links: a lesson's URL whose hash carries code and parameters, compressed with lz-string
 * (`#share=…`). Pure encoding and validation; the page decides what to do with a decoded link, and
 * it never runs linked code before the learner has read it and said yes.
 */
// A CommonJS module: its default export is the namespace in Node (prerendering) and in the browser.
import LZString from 'lz-string';
import { MAX_CODE_LENGTH } from './progress.ts';

export const SHARE_HASH_PREFIX = '#share=';
export const SHARE_VERSION = 1;

/** What a link carries; every part is optional. */
export interface SharedState {
  /** Exercise code by exercise id (`02-sparse-attention/02-fill-bsr`). */
  exercises?: Record<string, string>;
  /** Lesson editor text by editor name (`maskSource`). */
  editors?: Record<string, string>;
  /** Lesson input values (sliders, selectors, checkboxes) by the input's name. */
  inputs?: Record<string, string | number | boolean>;
  /** The anchor to scroll to once the link is applied (an exercise's or an editor's). */
  target?: string;
}

export type DecodedShare = { ok: true; state: SharedState } | { ok: false; error: string };

const NAME = /^[A-Za-z0-9_$/ =.-]{1,100}$/;

/** The hash of a link that carries `state`. */
export function encodeShare(state: SharedState): string {
  return SHARE_HASH_PREFIX + LZString.compressToEncodedURIComponent(JSON.stringify({ v: SHARE_VERSION, ...state }));
}

/** Whether a location hash is a share link (as opposed to a section anchor). */
export function isShareHash(hash: string): boolean {
  return hash.startsWith(SHARE_HASH_PREFIX);
}

/**
 * Reads a share hash. Anything malformed — not decompressible, not JSON, another version, a field
 * of the wrong type, an oversized text — refuses the whole link with a sentence.
 */
export function decodeShare(hash: string): DecodedShare {
  if (!isShareHash(hash)) return { ok: false, error: 'This is not a share link.' };
  const text = LZString.decompressFromEncodedURIComponent(hash.slice(SHARE_HASH_PREFIX.length));
  if (!text) return { ok: false, error: 'This share link is damaged: its code cannot be unpacked (was it cut short when copied?).' };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { ok: false, error: 'This share link is damaged: it does not hold valid data.' };
  }
  if (!isRecord(data) || data.v !== SHARE_VERSION) return { ok: false, error: `This share link was made by another version of the site (it is not version ${SHARE_VERSION}).` };
  const state: SharedState = {};
  for (const field of ['exercises', 'editors'] as const) {
    if (data[field] === undefined) continue;
    const texts = data[field];
    if (!isRecord(texts)) return { ok: false, error: `This share link is damaged: "${field}" is not a list of code by name.` };
    for (const [name, code] of Object.entries(texts)) {
      if (!NAME.test(name) || typeof code !== 'string' || code.length > MAX_CODE_LENGTH) {
        return { ok: false, error: `This share link is damaged: the ${field === 'exercises' ? 'exercise' : 'editor'} "${name.slice(0, 100)}" has no valid code.` };
      }
    }
    state[field] = texts as Record<string, string>;
  }
  if (data.inputs !== undefined) {
    if (!isRecord(data.inputs)) return { ok: false, error: 'This share link is damaged: "inputs" is not a list of values by name.' };
    for (const [name, value] of Object.entries(data.inputs)) {
      const scalar = typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value)) || (typeof value === 'string' && value.length <= 200);
      if (!NAME.test(name) || !scalar) return { ok: false, error: `This share link is damaged: the input "${name.slice(0, 100)}" has no valid value.` };
    }
    state.inputs = data.inputs as SharedState['inputs'];
  }
  if (data.target !== undefined) {
    if (typeof data.target !== 'string' || !NAME.test(data.target)) return { ok: false, error: 'This share link is damaged: its "target" is not an anchor.' };
    state.target = data.target;
  }
  return { ok: true, state };
}

/**
 * Keeps only what this lesson has: exercises and editors it does not know are dropped and named,
 * so a link to another lesson (or an old one) cannot write where nothing reads.
 */
export function forLesson(state: SharedState, known: { exercises: readonly string[]; editors: readonly string[] }): { state: SharedState; ignored: string[] } {
  const ignored: string[] = [];
  const pick = (texts: Record<string, string> | undefined, allowed: readonly string[], what: string) => {
    if (!texts) return undefined;
    const kept = Object.fromEntries(Object.entries(texts).filter(([name]) => allowed.includes(name) || void ignored.push(`${what} ${name}`)));
    return Object.keys(kept).length ? kept : undefined;
  };
  const exercises = pick(state.exercises, known.exercises, 'exercise');
  const editors = pick(state.editors, known.editors, 'editor');
  const next: SharedState = { ...state, exercises, editors };
  if (!exercises) delete next.exercises;
  if (!editors) delete next.editors;
  return { state: next, ignored };
}

/**
 * A `#share=` hash read for a page with these exercises and editors (`forLesson`): what it carries
 * for the page and what it names that the page lacks, or why it cannot be used (damaged, or nothing
 * for `place`, "this lesson" say).
 */
export function shareForPage(hash: string, known: { exercises: readonly string[]; editors: readonly string[] }, place: string): { ok: true; state: SharedState; ignored: string[] } | { ok: false; error: string } {
  const decoded = decodeShare(hash);
  if (!decoded.ok) return decoded;
  const limited = forLesson(decoded.state, known);
  if (isEmptyShare(limited.state)) return { ok: false, error: `This share link carries nothing for ${place}${limited.ignored.length ? ` (it names ${limited.ignored.join(', ')})` : ''}.` };
  return { ok: true, ...limited };
}

/** True when the link carries nothing this lesson can use. */
export function isEmptyShare(state: SharedState): boolean {
  return !state.exercises && !state.editors && (!state.inputs || Object.keys(state.inputs).length === 0);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
