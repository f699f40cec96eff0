/**
 * `attn-lab`: the classroom grader. It runs the same `check` as the lesson page, in Node: on the
 * GPU through dawn.node when an adapter is present, else on the CPU reference. `attn-lab.mjs`
 * loads this file through Vite's module runner (the kernels use `import.meta.glob` and `?raw`).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { create, globals } from 'webgpu';
import { createEngine, type Engine } from '#kernels/index.ts';
import { EXERCISES, findExercise, type Exercise } from '#playground/notebook/exercise-registry.ts';
import type { ExerciseReport } from '#playground/notebook/exercise.ts';

export const USAGE = `attn-lab: grade Attention Lab exercises

  attn-lab list [--json]                          the exercises, by id
  attn-lab grade <exercise> <file> [--json]       grade one submission
  attn-lab grade --all <folder> [<exercise>]      grade every .ts file in <folder> (one per student);
                                                  without <exercise>, the folder's name names it
Options:
  --json              print a JSON gradebook on stdout instead of text
  --backend <b>       auto (default: WebGPU through dawn.node if a GPU adapter is found, else CPU),
                      webgpu (fail without an adapter) or cpu (the float64 reference)

<exercise> is an id (01-jit-variants/01-soft-cap), a folder (01-soft-cap) or a name (soft-cap).
Exit status: 0 when every graded submission passes, 1 when one fails, 2 on a usage error,
3 when grading itself failed (the engine or a check broke: the message says how).`;

/** What the launcher does next: exit with `code`, or run again with the SwiftShader driver set up. */
export type Outcome = { code: number } | { retryWithSwiftShader: true };

interface Options {
  json: boolean;
  all: boolean;
  backend: 'auto' | 'webgpu' | 'cpu';
  positional: string[];
}

class UsageError extends Error {}

/** `findExercise`, its RangeError (no such exercise, or several) a usage error. */
function exerciseNamed(key: string): Exercise {
  try {
    return findExercise(key);
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(error.message);
    throw error;
  }
}

function parseOptions(args: string[]): Options {
  const options: Options = { json: false, all: false, backend: 'auto', positional: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--json') options.json = true;
    else if (arg === '--all') options.all = true;
    else if (arg === '--backend') {
      const value = args[++i];
      if (value !== 'auto' && value !== 'webgpu' && value !== 'cpu') throw new UsageError(`--backend takes auto, webgpu or cpu, not '${value ?? ''}'`);
      options.backend = value;
    } else if (arg.startsWith('--')) throw new UsageError(`unknown option ${arg}`);
    else options.positional.push(arg);
  }
  return options;
}

/** The engine, or a request to run again with SwiftShader when auto mode found no adapter. */
async function acquireEngine(backend: Options['backend'], swiftShaderAvailable: boolean): Promise<Engine | 'retry'> {
  if (backend === 'cpu') return createEngine({ backend: 'cpu' });
  Object.assign(globalThis, globals);
  const gpu = create([]);
  if (await gpu.requestAdapter()) return createEngine({ backend: 'webgpu', gpu });
  if (swiftShaderAvailable) return 'retry';
  if (backend === 'webgpu') throw new UsageError('--backend webgpu: dawn.node found no GPU adapter');
  return createEngine({ backend: 'cpu' });
}

interface Graded {
  student: string;
  file: string;
  passed: boolean;
  casesPassed: number;
  casesTotal: number;
  report: ExerciseReport;
  /** Set when the file could not be read (its report holds why). */
  unreadable?: true;
}

async function gradeFile(exercise: Exercise, file: string, engine: Engine): Promise<Graded> {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (error) {
    // One unreadable submission (a broken link, a folder named .ts) fails alone; the rest are graded.
    const message = `could not read this file: ${error instanceof Error ? error.message : String(error)}`;
    const report: ExerciseReport = { passed: false, backend: engine.backend, tolerance: '', diagnostics: [{ line: 1, column: 1, endLine: 1, endColumn: 1, message }], cases: [] };
    return { student: basename(file).replace(/\.[^.]+$/, ''), file, passed: false, casesPassed: 0, casesTotal: 0, report, unreadable: true };
  }
  const report = await exercise.check(source, engine);
  return {
    student: basename(file).replace(/\.[^.]+$/, ''),
    file,
    passed: report.passed,
    casesPassed: report.cases.filter((c) => c.passed).length,
    casesTotal: report.cases.length,
    report,
  };
}

function printGraded(graded: Graded, write: (line: string) => void, heading: boolean) {
  const { report } = graded;
  if (heading) write(`\n${graded.student}`);
  for (const d of report.diagnostics) write(`  ${graded.file}:${d.line}:${d.column}: ${d.message}`);
  for (const c of report.cases) write(`  ${c.passed ? 'pass' : 'FAIL'}  ${c.name}: ${c.passed ? 'ok' : c.summary}`);
  const verdict = graded.unreadable ? 'not read' : report.diagnostics.length > 0 ? 'does not compile' : `${graded.casesPassed}/${graded.casesTotal} cases`;
  write(`${graded.passed ? 'PASS' : 'FAIL'}  ${graded.file} (${verdict})`);
}

/** Runs the CLI; `env.swiftShaderAvailable` says whether a retry with SwiftShader is possible. */
export async function main(args: string[], env: { swiftShaderAvailable: boolean }): Promise<Outcome> {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  let options: Options;
  try {
    options = parseOptions(args);
    const [command, ...rest] = options.positional;
    if (command === 'list') {
      if (options.json) out(JSON.stringify(EXERCISES.map((e) => ({ id: e.id, title: e.title })), null, 2));
      else for (const e of EXERCISES) out(`${e.id}  ${e.title}`);
      return { code: 0 };
    }
    if (command !== 'grade') throw new UsageError(command === undefined ? 'no command' : `unknown command '${command}'`);
    let exercise: Exercise;
    let files: string[];
    if (options.all) {
      const [folder, exerciseKey] = rest;
      if (!folder || rest.length > 2) throw new UsageError('grade --all takes a folder and, optionally, an exercise');
      if (!statSync(folder, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`${folder} is not a folder`);
      exercise = exerciseNamed(exerciseKey ?? basename(folder));
      files = readdirSync(folder)
        .filter((name) => name.endsWith('.ts'))
        .sort()
        .map((name) => join(folder, name));
      if (files.length === 0) throw new UsageError(`${folder} has no .ts submissions`);
    } else {
      if (rest.length !== 2) throw new UsageError('grade takes an exercise and a file (or --all and a folder)');
      exercise = exerciseNamed(rest[0]);
      if (!statSync(rest[1], { throwIfNoEntry: false })?.isFile()) throw new UsageError(`${rest[1]} is not a file`);
      files = [rest[1]];
    }
    const engine = await acquireEngine(options.backend, env.swiftShaderAvailable);
    if (engine === 'retry') return { retryWithSwiftShader: true };
    try {
      const results: Graded[] = [];
      if (!options.json) out(`${exercise.id} (${exercise.title}) on ${engine.description}`);
      for (const file of files) {
        const graded = await gradeFile(exercise, file, engine);
        results.push(graded);
        if (!options.json) printGraded(graded, out, options.all);
      }
      const passed = results.every((r) => r.passed);
      if (options.json) {
        // The first submission that was read: an unreadable one has no tolerance.
        const tolerance = results.find((r) => !r.unreadable)?.report.tolerance ?? '';
        const gradebook = { exercise: exercise.id, backend: engine.backend, device: engine.description, tolerance, passed, submissions: results };
        out(JSON.stringify(gradebook, (_key, value) => (typeof value === 'number' && !Number.isFinite(value) ? String(value) : value), 2));
      } else if (options.all) {
        out(`${results.filter((r) => r.passed).length}/${results.length} submissions pass`);
      }
      return { code: passed ? 0 : 1 };
    } finally {
      engine.destroy();
    }
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`attn-lab: ${error.message}\n\n${USAGE}\n`);
      return { code: 2 };
    }
    // Not the submissions' fault: a teacher must not read it as "a submission failed" (1).
    process.stderr.write(`attn-lab: grading failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return { code: 3 };
  }
}
