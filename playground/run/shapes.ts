/** What the playground's form edits: a batch described by its lengths, not its data. */
export interface ShapeSettings {
  qoLens: number[];
  kvLens: number[];
  numQoHeads: number;
  numKvHeads: number;
  headDim: 64 | 128;
  causal: boolean;
  seed: number;
  /** 0: ragged KV; otherwise the KV is moved into a paged cache with this many tokens per page. */
  pageSize: number;
}

export const SHAPE_PRESETS: { name: string; settings: ShapeSettings }[] = [
  { name: 'Prefill, 2 requests', settings: { qoLens: [128, 96], kvLens: [128, 96], numQoHeads: 4, numKvHeads: 4, headDim: 64, causal: true, seed: 1, pageSize: 0 } },
  { name: 'Decode, GQA 8:2', settings: { qoLens: [1, 1, 1, 1], kvLens: [300, 64, 511, 17], numQoHeads: 8, numKvHeads: 2, headDim: 128, causal: true, seed: 2, pageSize: 16 } },
  { name: 'Append to a cache', settings: { qoLens: [24, 7], kvLens: [200, 40], numQoHeads: 4, numKvHeads: 1, headDim: 128, causal: true, seed: 3, pageSize: 16 } },
  { name: 'Bidirectional (encoder)', settings: { qoLens: [64], kvLens: [64], numQoHeads: 2, numKvHeads: 2, headDim: 64, causal: false, seed: 4, pageSize: 0 } },
];

/** Largest batch the page builds: the CPU reference (float64, one thread) must answer in about a second. */
export const MAX_REFERENCE_MACS = 1.5e8;

/** Multiply-adds of the reference for these settings (scores and weighted values). */
export function referenceMacs(s: ShapeSettings): number {
  return s.qoLens.reduce((sum, qo, i) => sum + qo * s.kvLens[i], 0) * s.numQoHeads * s.headDim * 2;
}

/** Parses "128, 96" into lengths; returns an error sentence instead of throwing. */
export function parseLengths(text: string, what: string): number[] | string {
  const parts = text.split(/[\s,]+/).filter(Boolean);
  if (parts.length === 0) return `${what}: give at least one length`;
  if (parts.length > 16) return `${what}: at most 16 requests`;
  const lengths = parts.map(Number);
  const bad = lengths.findIndex((n) => !Number.isInteger(n) || n < 0 || n > 4096);
  if (bad >= 0) return `${what}: "${parts[bad]}" is not a whole number from 0 to 4096`;
  return lengths;
}

/** Checks what the form cannot: matching request counts and a size the reference can verify quickly. */
export function settingsProblem(s: ShapeSettings): string | undefined {
  if (s.qoLens.length !== s.kvLens.length) {
    return `query lengths list ${s.qoLens.length} requests but KV lengths list ${s.kvLens.length}`;
  }
  if (s.numQoHeads % s.numKvHeads !== 0) return `KV heads (${s.numKvHeads}) must divide query heads (${s.numQoHeads})`;
  if (!Number.isInteger(s.pageSize) || s.pageSize < 0 || s.pageSize > 64) return `page size must be a whole number from 1 to 64 (or ragged)`;
  const macs = referenceMacs(s);
  if (macs > MAX_REFERENCE_MACS) {
    return `this batch needs ${(macs / 1e6).toFixed(0)}M multiply-adds on the CPU reference; keep it under ${MAX_REFERENCE_MACS / 1e6}M so the check stays quick`;
  }
  return undefined;
}

/** The playground's settings as a share link's inputs (the form's field names). */
export function shapeInputs(s: ShapeSettings): Record<string, number | boolean | string> {
  return { qoLens: s.qoLens.join(', '), kvLens: s.kvLens.join(', '), numQoHeads: s.numQoHeads, numKvHeads: s.numKvHeads, headDim: s.headDim, pageSize: s.pageSize, causal: s.causal, seed: s.seed };
}

/**
 * Settings from a share link's inputs, over `base` for the fields the link leaves out; an error
 * sentence for a value the form could not hold (the link is refused whole, nothing applied).
 * Inputs that are not settings (a variant's `var-…`) are left to the caller.
 */
export function shapeFromInputs(inputs: Record<string, number | boolean | string>, base: ShapeSettings): ShapeSettings | string {
  const s: ShapeSettings = structuredClone(base);
  for (const field of ['qoLens', 'kvLens'] as const) {
    if (inputs[field] === undefined) continue;
    const lengths = parseLengths(String(inputs[field]), field === 'qoLens' ? 'Query lengths' : 'KV lengths');
    if (typeof lengths === 'string') return lengths;
    s[field] = lengths;
  }
  const whole = (field: 'numQoHeads' | 'numKvHeads' | 'seed' | 'pageSize' | 'headDim', min: number, max: number, allowed?: number[]) => {
    const value = inputs[field];
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max || (allowed && !allowed.includes(value))) {
      return `${field} is ${JSON.stringify(value)}; the playground takes ${allowed ? allowed.join(', ') : `a whole number from ${min} to ${max}`}`;
    }
    (s as unknown as Record<string, number>)[field] = value;
    return undefined;
  };
  const problem =
    whole('numQoHeads', 1, 32) ?? whole('numKvHeads', 1, 32) ?? whole('headDim', 64, 128, [64, 128]) ?? whole('pageSize', 0, 64, [0, 1, 4, 16, 64]) ?? whole('seed', 1, 2 ** 31 - 1);
  if (problem) return problem;
  if (inputs.causal !== undefined) {
    if (typeof inputs.causal !== 'boolean') return `causal is ${JSON.stringify(inputs.causal)}; the playground takes true or false`;
    s.causal = inputs.causal;
  }
  return settingsProblem(s) ?? s;
}
