import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, symlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { USAGE } from '../../bin/cli.ts';

const EXERCISES = 'lessons/01-jit-variants/exercises';

/** Runs the CLI as a learner or a teacher would, on the CPU backend (the GPU path is the same check on dawn.node). */
function attnLab(...args: string[]) {
  const result = spawnSync(process.execPath, ['bin/attn-lab.mjs', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

// Each test spawns the CLI (a Vite module runner, seconds to start on a loaded machine).
describe('attn-lab, end to end', { timeout: 60_000 }, () => {
  test('list names every exercise', () => {
    const { code, stdout } = attnLab('list', '--json');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual([
      { id: '01-jit-variants/01-soft-cap', title: 'Soft-cap the logits' },
      { id: '01-jit-variants/02-flash-sigmoid', title: 'FlashSigmoid' },
      { id: '01-jit-variants/03-sliding-window-sink', title: 'Sliding window with attention sinks' },
      { id: '02-sparse-attention/01-fixed-pattern', title: 'The fixed pattern, and its blocks' },
      { id: '02-sparse-attention/02-fill-bsr', title: 'Fill in a BSR layout' },
      { id: '03-load-balancing/01-cut-and-place', title: 'Cut and place the keys' },
      { id: '04-paged-kv/01-page-table', title: 'Write the page table' },
      { id: '05-speculative-decoding/01-tree-parents', title: 'Parent pointers of a token tree' },
      { id: '06-batch-scheduling/01-stall-free-batching', title: 'Sarathi-Serve: stall-free batching with chunked prefill' },
      { id: '07-evaluation/01-count-the-work', title: 'Count the work, and read a trace' },
      { id: '08-memory-movement/01-tile-traffic', title: "Count a tile's traffic" },
    ]);
  });

  test("grade: the exercises of lessons 2 to 5, 7 and 8 written as answers, not variants, start fails and solution passes through the same code path", () => {
    const exercises = [['lessons/02-sparse-attention/exercises', '01-fixed-pattern', 6], ['lessons/02-sparse-attention/exercises', '02-fill-bsr', 5], ['lessons/03-load-balancing/exercises', '01-cut-and-place', 5], ['lessons/04-paged-kv/exercises', '01-page-table', 4], ['lessons/05-speculative-decoding/exercises', '01-tree-parents', 4], ['lessons/07-evaluation/exercises', '01-count-the-work', 5], ['lessons/08-memory-movement/exercises', '01-tile-traffic', 5]] as const;
    for (const [folder, name, cases] of exercises) {
      const start = attnLab('grade', name, `${folder}/${name}/start.ts`, '--backend', 'cpu');
      expect(start.code, start.stdout + start.stderr).toBe(1);
      expect(start.stdout).toMatch(new RegExp(`^FAIL {2}lessons/.*/start\\.ts \\(\\d/${cases} cases\\)$`, 'm'));
      const solution = attnLab('grade', name, `${folder}/${name}/solution.ts`, '--backend', 'cpu');
      expect(solution.code, solution.stdout + solution.stderr).toBe(0);
      expect(solution.stdout).toContain(`(${cases}/${cases} cases)`);
      if (name === '02-fill-bsr') expect(start.stdout).toContain('FAIL  blocks per block row (indptr): Block row 0 (queries 0–3) should store 1 block');
    }
  }, 90_000);

  test('grade: a program exercise (a scheduler) runs the submission sandboxed; start fails, solution passes, a crash is a failure with its line', () => {
    const folder = 'lessons/06-batch-scheduling/exercises/01-stall-free-batching';
    const start = attnLab('grade', 'stall-free-batching', `${folder}/start.ts`, '--backend', 'cpu');
    expect(start.code, start.stdout + start.stderr).toBe(1);
    expect(start.stdout).toContain('FAIL  no decode stalls: On a long prompt among decodes: Iteration 1 (at 15.5 ms) did not decode request 0, whose prompt was done');
    expect(start.stdout).toMatch(/^FAIL {2}lessons\/.*\/start\.ts \(1\/5 cases\)$/m);
    const solution = attnLab('grade', 'stall-free-batching', `${folder}/solution.ts`, '--backend', 'cpu');
    expect(solution.code, solution.stdout + solution.stderr).toBe(0);
    expect(solution.stdout).toContain('(5/5 cases)');
    const dir = mkdtempSync(join(tmpdir(), 'attn-lab-'));
    const file = join(dir, 'crash.ts');
    writeFileSync(file, 'export function schedule(state) {\n  return state.running[0].id;\n}\n');
    const crash = attnLab('grade', 'stall-free-batching', file, '--backend', 'cpu');
    expect(crash.code).toBe(1);
    expect(crash.stdout).toContain("FAIL  no decode stalls: On a long prompt among decodes your scheduler failed: `schedule` threw TypeError: Cannot read properties of undefined (reading 'id') (line 2).");
    rmSync(dir, { recursive: true });
  }, 90_000);

  test('grade: the start file fails with exit code 1, the solution passes with 0', () => {
    const start = attnLab('grade', 'flash-sigmoid', `${EXERCISES}/02-flash-sigmoid/start.ts`, '--backend', 'cpu');
    expect(start.code).toBe(1);
    expect(start.stdout).toContain('FAIL  length 1, scale 2: Max |error|');
    expect(start.stdout).toMatch(/^FAIL {2}lessons\/.*\/start\.ts \(0\/5 cases\)$/m);
    const solution = attnLab('grade', '02-flash-sigmoid', `${EXERCISES}/02-flash-sigmoid/solution.ts`, '--backend', 'cpu');
    expect(solution.code).toBe(0);
    expect(solution.stdout).toContain('on CPU reference');
    expect(solution.stdout).toMatch(/^PASS {2}lessons\/.*\/solution\.ts \(5\/5 cases\)$/m);
  });

  test('grade: a submission that does not compile is a failure at its line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'attn-lab-'));
    const file = join(dir, 'typo.ts');
    writeFileSync(file, 'export const vars = { cap: 1.0 };\nexport function logitsTransform(logit: number, idx: Idx): number {\n  return vars.cap * Math.tanh(logit / vars.capp);\n}\n');
    const { code, stdout } = attnLab('grade', 'soft-cap', file, '--backend', 'cpu');
    expect(code).toBe(1);
    expect(stdout).toMatch(new RegExp(`${file.replaceAll('/', '\\/')}:3:\\d+: .*capp`));
    expect(stdout).toContain('(does not compile)');
  });

  test('grade --all: a gradebook of a class folder, one entry per student, exit 1 when one fails', () => {
    const folder = join(mkdtempSync(join(tmpdir(), 'attn-lab-')), 'sliding-window-sink');
    mkdirSync(folder);
    copyFileSync(`${EXERCISES}/03-sliding-window-sink/solution.ts`, join(folder, 'ada.ts'));
    copyFileSync(`${EXERCISES}/03-sliding-window-sink/start.ts`, join(folder, 'bob.ts'));
    const { code, stdout } = attnLab('grade', '--all', folder, '--json', '--backend', 'cpu');
    expect(code).toBe(1);
    const gradebook = JSON.parse(stdout);
    expect(gradebook).toMatchObject({ exercise: '01-jit-variants/03-sliding-window-sink', backend: 'cpu', passed: false });
    expect(gradebook.tolerance).toContain('1e-5');
    const [ada, bob] = gradebook.submissions;
    expect(ada).toMatchObject({ student: 'ada', passed: true, casesPassed: 5, casesTotal: 5 });
    expect(bob).toMatchObject({ student: 'bob', passed: false, casesTotal: 5 });
    // Plain causal attention still matches where the window reaches every key: one key, rows that see none.
    expect(bob.casesPassed).toBe(2);
    const prefill = bob.report.cases.find((c: { name: string }) => c.name === 'prefill, window 4, sink 2');
    expect(prefill).toMatchObject({ passed: false, worst: { array: 'o', request: 0 }, diff: { rows: 24, cols: 2 } });
    expect(prefill.maxAbsError).toBeGreaterThan(prefill.bound);

    const passing = join(mkdtempSync(join(tmpdir(), 'attn-lab-')), 'class');
    mkdirSync(passing);
    copyFileSync(`${EXERCISES}/03-sliding-window-sink/solution.ts`, join(passing, 'ada.ts'));
    const text = attnLab('grade', '--all', passing, 'sliding-window-sink', '--backend', 'cpu');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('1/1 submissions pass');

    // A file that cannot be read fails alone, saying why; the class is still graded.
    symlinkSync(join(passing, 'gone.txt'), join(passing, 'cy.ts'));
    const broken = attnLab('grade', '--all', passing, 'sliding-window-sink', '--backend', 'cpu');
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/cy\.ts:1:1: could not read this file: ENOENT/);
    expect(broken.stdout).toMatch(/^FAIL {2}.*cy\.ts \(not read\)$/m);
    expect(broken.stdout).toContain('1/2 submissions pass');
  });

  test('a usage error exits 2 and prints the usage', () => {
    const { code, stderr } = attnLab('grade', 'no-such-exercise', 'x.ts');
    expect(code).toBe(2);
    expect(stderr).toContain("attn-lab: no exercise 'no-such-exercise'");
    expect(stderr).toContain(USAGE);
  });
});
