/**
 * Grading an exercise: the one code path behind the lesson page, the `attn-lab` CLI and the
 * tests. An exercise's `check.ts` calls `defineCheck` with its solution, the format of its source
 * (a variant, answers, or both: `exercise-source.ts`) and its cases; the result grades a learner's
 * source on any engine (WebGPU or the CPU reference).
 */
import {
  compareArrays,
  referenceAttention,
  referenceWeights,
  type AttentionArgs,
  type CompiledVariant,
  type Diagnostic,
  type Engine,
} from '#kernels/index.ts';
import { readSource, VARIANT_ONLY, type AnswerValue, type SourceFormat } from './exercise-source.ts';

/**
 * Tolerances, stated once. A GPU accumulates in fp32 and the reference in float64. With softmax an
 * output is a convex combination of values in [-1, 1), and fp32 rounding stays far below 1e-5;
 * without softmax (sigmoid attention) an output is a sum of up to kvLen terms, so the bound is
 * relative to the size of the expected outputs. Infinities (lse of a row that sees no key) and NaN
 * must match exactly.
 */
export const TOLERANCE = 1e-5;
export const TOLERANCE_TEXT = '|got − expected| ≤ 1e-5 · max(1, max |expected|) for o and for lse; −∞ and NaN must match exactly';

/**
 * For custom cases that run attention themselves: whether `got` equals `want` within TOLERANCE
 * (absolute, on o and lse; −∞ and NaN must match exactly), and the largest error.
 */
export function matchesReference(got: { o: Float32Array; lse: Float32Array }, want: { o: Float32Array; lse: Float32Array }): { passed: boolean; maxAbsError: number } {
  const o = compareArrays(got.o, want.o);
  const lse = compareArrays(got.lse, want.lse);
  const maxAbsError = Math.max(o.maxAbsError, lse.maxAbsError);
  return { passed: maxAbsError <= TOLERANCE && o.mismatchedSpecials.length === 0 && lse.mismatchedSpecials.length === 0, maxAbsError };
}

export interface ExerciseCase {
  /** Short, shown as the case's title: `decode, one key`. */
  name: string;
  /** What the case exercises, in a sentence. */
  description: string;
  /** The inputs, without the variant (the grader adds the learner's or the solution's). */
  batch: () => AttentionArgs;
  /** Var values for this case; the learner's variant must declare each of them. */
  vars?: Record<string, number>;
}

/** A source as a case sees it: the compiled variant (when the format has one) and the answers. */
export interface Submission {
  variant?: CompiledVariant;
  answers: Record<string, AnswerValue>;
  /** A program's compiled JavaScript, to run with `runProgram` (`program.ts`). */
  program?: string;
}

/** A case that grades the submission itself (answers, a derived layout) rather than an attention run. */
export interface CustomCase {
  name: string;
  description: string;
  /** `options.signal` is the learner's Cancel: a case that runs long work (a program) stops with it. */
  grade: (learner: Submission, solution: Submission, engine: Engine, options: { signal?: AbortSignal }) => CaseResult | Promise<CaseResult>;
}

/** What a custom case decides: everything of a report but its name and description. */
export type CaseResult = Omit<CaseReport, 'name' | 'description'>;

/**
 * A custom case for an answers exercise: the answer `key` must equal `want`. A wrong value that is
 * one of the usual slips gets that slip's sentence; any other gets a plain one. `right` is the
 * summary when it is right (how the number comes about).
 */
export function answerCase(name: string, description: string, key: string, want: number, slips: readonly (readonly [number, string])[], right: string): CustomCase {
  return {
    name,
    description,
    grade(learner) {
      const got = learner.answers[key];
      if (got === want) return { passed: true, summary: right };
      const slip = slips.find(([value]) => value === got);
      const shown = typeof got === 'number' ? got.toLocaleString('en-US') : String(got);
      return { passed: false, summary: `\`${key}\` is ${shown}, not the expected count${slip ? `: ${slip[1]}` : '.'}` };
    },
  };
}

export interface ExerciseDefinition {
  /** The solution's source: its reference output on each case is what the learner must match. */
  solution: string;
  /** What the source holds; default: a variant only. */
  format?: SourceFormat;
  cases: (ExerciseCase | CustomCase)[];
}

/** A matrix for drawing (a heatmap), row-major. */
export interface Matrix {
  rows: number;
  cols: number;
  values: number[];
  rowLabel: string;
  colLabel: string;
  label: string;
}

/** Where the largest error is, in the output's own coordinates. */
export interface WorstCell {
  array: 'o' | 'lse';
  request: number;
  /** Position of the query within its request. */
  qo: number;
  qoHead: number;
  /** Undefined for lse. */
  dim?: number;
  expected: number;
  got: number;
}

export interface CaseReport {
  name: string;
  description: string;
  passed: boolean;
  /** One sentence: why it failed, or what matched. */
  summary: string;
  /** Largest |got − expected| over finite pairs of o and lse, and the bound it was held to. */
  maxAbsError?: number;
  bound?: number;
  worst?: WorstCell;
  /** Max |error| over the head dimension, per (query token, query head): where the output is wrong. */
  diff?: Matrix;
  /** The worst request and head's attention weights under the solution and under the learner's variant. */
  expectedWeights?: Matrix;
  gotWeights?: Matrix;
  /** Other pictures of a failure (a custom case's block grids). */
  matrices?: Matrix[];
  /** The engine's run time for this case, milliseconds. */
  ms?: number;
}

export interface ExerciseReport {
  passed: boolean;
  backend: Engine['backend'];
  tolerance: string;
  /** Compile errors in the learner's source: when present, no case ran. */
  diagnostics: Diagnostic[];
  cases: CaseReport[];
}

/** A grader, and the format of the source it reads (the page marks the same errors as the learner types). */
export type ExerciseCheck = ((source: string, engine: Engine, options?: { signal?: AbortSignal }) => Promise<ExerciseReport>) & { format: SourceFormat };

export function defineCheck(definition: ExerciseDefinition): ExerciseCheck {
  const format = definition.format ?? VARIANT_ONLY;
  const solution = readSource(definition.solution, format);
  if (!solution.ok) {
    throw new Error(`the exercise's own solution does not read: ${solution.diagnostics.map((e) => `line ${e.line}: ${e.message}`).join('; ')}`);
  }
  if (format.variant && format.program) throw new Error('an exercise source holds a variant or a program, not both');
  if (!format.variant && definition.cases.some((c) => 'batch' in c)) {
    throw new Error('an exercise whose source holds no variant has no attention cases (a case with batch())');
  }
  const check = async (source: string, engine: Engine, options: { signal?: AbortSignal } = {}): Promise<ExerciseReport> => {
    const read = readSource(source, format);
    if (!read.ok) {
      return { passed: false, backend: engine.backend, tolerance: TOLERANCE_TEXT, diagnostics: read.diagnostics, cases: [] };
    }
    const cases: CaseReport[] = [];
    for (const exerciseCase of definition.cases) {
      options.signal?.throwIfAborted();
      if ('batch' in exerciseCase) {
        cases.push(await gradeCase(exerciseCase, read.variant!, solution.variant!, engine));
      } else {
        const result = await exerciseCase.grade(read, solution, engine, { signal: options.signal });
        cases.push({ name: exerciseCase.name, description: exerciseCase.description, ...result });
      }
    }
    return { passed: cases.every((c) => c.passed), backend: engine.backend, tolerance: TOLERANCE_TEXT, diagnostics: [], cases };
  };
  return Object.assign(check, { format });
}

async function gradeCase(exerciseCase: ExerciseCase, learner: CompiledVariant, solution: CompiledVariant, engine: Engine): Promise<CaseReport> {
  const base = { name: exerciseCase.name, description: exerciseCase.description };
  const vars = exerciseCase.vars ?? {};
  const missing = Object.keys(vars).filter((name) => !learner.ir.vars.some((v) => v.name === name));
  if (missing.length > 0) {
    const list = missing.map((name) => `\`${name}\``).join(', ');
    return { ...base, passed: false, summary: `Your variant does not declare the var${missing.length > 1 ? 's' : ''} ${list}; add ${missing.length > 1 ? 'them' : 'it'} to \`export const vars = { ... }\`.` };
  }
  const batch = exerciseCase.batch();
  const expectedArgs: AttentionArgs = { ...batch, variant: solution, vars };
  const gotArgs: AttentionArgs = { ...batch, variant: learner, vars };
  const expected = referenceAttention(expectedArgs);
  let got;
  try {
    got = await engine.run(gotArgs);
  } catch (error) {
    return { ...base, passed: false, summary: `Running your variant failed: ${error instanceof Error ? error.message : String(error)}` };
  }
  const o = compareArrays(got.o, expected.o);
  const lse = compareArrays(got.lse, expected.lse);
  const oBound = TOLERANCE * Math.max(1, maxAbs(expected.o));
  const lseBound = TOLERANCE * Math.max(1, maxAbs(expected.lse));
  const oRatio = o.maxAbsError / oBound;
  const lseRatio = lse.maxAbsError / lseBound;
  const shape = shapeOf(batch);
  const passed = o.mismatchedSpecials.length === 0 && lse.mismatchedSpecials.length === 0 && oRatio <= 1 && lseRatio <= 1;
  const report: CaseReport = {
    ...base,
    passed,
    summary: '',
    maxAbsError: Math.max(o.maxAbsError, lse.maxAbsError),
    bound: oRatio >= lseRatio ? oBound : lseBound,
    ms: got.timing?.ms,
  };
  if (passed) {
    report.summary = `Matches the expected output (max |error| ${o.maxAbsError.toExponential(1)}).`;
    return report;
  }
  const special = lse.mismatchedSpecials[0] ?? o.mismatchedSpecials[0];
  let worst: WorstCell;
  if (lse.mismatchedSpecials.length > 0) {
    worst = cellOf('lse', special, shape, expected.lse[special], got.lse[special]);
  } else if (o.mismatchedSpecials.length > 0) {
    worst = cellOf('o', special, shape, expected.o[special], got.o[special]);
  } else if (oRatio >= lseRatio) {
    worst = cellOf('o', o.worstIndex, shape, expected.o[o.worstIndex], got.o[o.worstIndex]);
  } else {
    worst = cellOf('lse', lse.worstIndex, shape, expected.lse[lse.worstIndex], got.lse[lse.worstIndex]);
  }
  report.worst = worst;
  report.summary = describeWorst(worst, report.maxAbsError!, report.bound!, special !== undefined);
  report.diff = diffMatrix(got.o, expected.o, shape);
  report.expectedWeights = weightsMatrix(expectedArgs, worst, 'expected (solution)');
  report.gotWeights = weightsMatrix(gotArgs, worst, 'yours');
  return report;
}

interface Shape {
  qoIndptr: number[];
  numQoHeads: number;
  headDim: number;
}

function shapeOf(args: AttentionArgs): Shape {
  return { qoIndptr: Array.from(args.qoIndptr), numQoHeads: args.numQoHeads, headDim: args.headDim };
}

function maxAbs(values: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) max = Math.max(max, Math.abs(values[i]));
  return max;
}

function cellOf(array: 'o' | 'lse', index: number, shape: Shape, expected: number, got: number): WorstCell {
  const perToken = array === 'o' ? shape.numQoHeads * shape.headDim : shape.numQoHeads;
  const token = Math.floor(index / perToken);
  const within = index % perToken;
  const qoHead = array === 'o' ? Math.floor(within / shape.headDim) : within;
  let request = 0;
  while (shape.qoIndptr[request + 1] <= token) request++;
  return {
    array,
    request,
    qo: token - shape.qoIndptr[request],
    qoHead,
    dim: array === 'o' ? within % shape.headDim : undefined,
    expected,
    got,
  };
}

function describeWorst(worst: WorstCell, maxError: number, bound: number, special: boolean): string {
  const where = `request ${worst.request}, query ${worst.qo}, head ${worst.qoHead}${worst.dim === undefined ? '' : `, dim ${worst.dim}`}`;
  const values = `expected ${worst.array} = ${formatNumber(worst.expected)}, got ${formatNumber(worst.got)}`;
  if (special) {
    const hint = worst.expected === -Infinity ? ' (that row should see no key at all)' : worst.got === -Infinity ? ' (your variant hides every key of that row)' : '';
    return `At ${where}: ${values}${hint}.`;
  }
  return `Max |error| ${maxError.toExponential(2)} exceeds ${bound.toExponential(1)}; worst at ${where}: ${values}.`;
}

function formatNumber(x: number): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(6))) : String(x);
}

function diffMatrix(got: Float32Array, expected: Float32Array, shape: Shape): Matrix {
  const tokens = shape.qoIndptr[shape.qoIndptr.length - 1];
  const values = new Array<number>(tokens * shape.numQoHeads).fill(0);
  for (let t = 0; t < tokens; t++) {
    for (let h = 0; h < shape.numQoHeads; h++) {
      let max = 0;
      for (let d = 0; d < shape.headDim; d++) {
        const i = (t * shape.numQoHeads + h) * shape.headDim + d;
        const error = Number.isFinite(got[i]) && Number.isFinite(expected[i]) ? Math.abs(got[i] - expected[i]) : Infinity;
        max = Math.max(max, error);
      }
      values[t * shape.numQoHeads + h] = max;
    }
  }
  return { rows: tokens, cols: shape.numQoHeads, values, rowLabel: 'query token', colLabel: 'query head', label: 'max |error| over the head dimension' };
}

function weightsMatrix(args: AttentionArgs, worst: WorstCell, whose: string): Matrix {
  const w = referenceWeights(args, worst.request, worst.qoHead);
  return {
    rows: w.qoLen,
    cols: w.kvLen,
    values: Array.from(w.weights),
    rowLabel: 'query',
    colLabel: 'key',
    label: `attention weights, request ${worst.request}, head ${worst.qoHead}: ${whose}`,
  };
}
