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
