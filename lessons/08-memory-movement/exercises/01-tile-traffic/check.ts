import { randomBatch, type Engine } from '#kernels/index.ts';
import { answerCase, defineCheck, type CaseResult, type Submission } from '#playground/notebook/exercise.ts';
import { onHardwareGpu, timeOnEngine } from '#playground/notebook/timing.ts';
import solution from './solution.ts?raw';

const TILE_KEYS = 64;
const HEAD_DIM = 128;
const FP32 = 4;
const L = 1024;

const tileBytes = TILE_KEYS * HEAD_DIM * FP32;
/** K and V read by a non-causal prefill of L queries over L keys, T rows per workgroup. */
const traffic = (rows: number) => Math.ceil(L / rows) * L * 2 * HEAD_DIM * FP32;
const intensity = (rows: number) => (4 * HEAD_DIM * rows) / (2 * HEAD_DIM * FP32);
const answer = (learner: Submission, name: string) => learner.answers[name] as number;


const trafficSlips = (rows: number): [number, string][] => [
  [traffic(rows) / 2, rows === 64 ? 'that is the keys alone (or the traffic at 128 rows); each of the 16 workgroups reads the keys and the values.' : 'that is the keys alone; each workgroup reads the values too.'],
  [L * 2 * HEAD_DIM * FP32, 'that reads every key and value once; each of the workgroups reads them all.'],
  [L * L * 2 * HEAD_DIM * FP32, 'that reads them once per query, as a kernel without tiles would; a workgroup reads them once for all its rows.'],
  [traffic(rows) / FP32, 'that counts numbers, not bytes: an fp32 number is 4 bytes.'],
];

export const check = defineCheck({
  solution,
  format: { variant: false, answers: ['tileBytes', 'bytes64', 'bytes128', 'intensity128'].map((name) => ({ name, kind: 'count' as const })) },
  cases: [
    answerCase('one key tile', `${TILE_KEYS} keys of ${HEAD_DIM} fp32 numbers.`, 'tileBytes', tileBytes, [
      [TILE_KEYS * HEAD_DIM, 'that counts numbers; an fp32 number is 4 bytes.'],
      [2 * tileBytes, 'that is a key tile and a value tile; one key tile is asked.'],
    ], `${TILE_KEYS} × ${HEAD_DIM} × ${FP32} bytes.`),
    answerCase('traffic at 64 rows', `${L} queries over ${L} keys, one head, 64 query rows per workgroup.`, 'bytes64', traffic(64), trafficSlips(64), `${L / 64} workgroups × ${L} keys and values × ${HEAD_DIM} × ${FP32} bytes.`),
    answerCase('traffic at 128 rows', `The same prefill with 128 rows per workgroup.`, 'bytes128', traffic(128), [
      ...trafficSlips(128),
      [traffic(64), 'that is the traffic at 64 rows; with twice the rows there are half the workgroups.'],
    ], `${L / 128} workgroups: half the traffic of 64-row tiles.`),
    answerCase('intensity at 128 rows', 'FLOPs per byte of keys and values.', 'intensity128', intensity(128), [
      [intensity(128) * 2, 'that counts the keys alone as bytes; the values are read too.'],
      [intensity(128) / 2, 'that counts one of the two products (q·k or p·v), each d multiply-adds (or it is the intensity at 64 rows).'],
    ], `128 rows × 4 · ${HEAD_DIM} FLOPs over 2 · ${HEAD_DIM} · ${FP32} bytes.`),
    {
      name: 'your traffic, measured',
      description: 'The prefill runs on your GPU (the CPU reference without WebGPU); your count for its tile size over its time is the rate keys and values came from global memory.',
      async grade(learner: Submission, _solution: Submission, engine: Engine): Promise<CaseResult> {
        // The tile this GPU runs (64 rows on the CPU reference, which has none), one workgroup per tile: no key split.
        const rows = engine.prefillTileRows ?? 64;
        const key = rows === 128 ? 'bytes128' : 'bytes64';
        const bytes = answer(learner, key);
        const args = { ...randomBatch({ qoLens: [L], kvLens: [L], numQoHeads: 1, numKvHeads: 1, headDim: HEAD_DIM, causal: false, seed: 83 }), plan: 'none' as const };
        const { ms, source } = await timeOnEngine(engine, args, { runs: 5, warmupMs: 20, runsPerSpan: onHardwareGpu(engine) ? 16 : 1 });
        if (!(ms > 0)) return { passed: bytes === traffic(rows), summary: 'The prefill ran too fast for this browser\u2019s timer to measure; the count is checked above.' };
        const rate = `${(bytes / (ms / 1e3) / 1e9).toFixed(2)} GB/s`;
        const clock = source === 'timestamp' ? 'GPU time' : 'wall time';
        if (bytes !== traffic(rows)) {
          return { passed: false, summary: `With your \`${key}\` (this GPU runs ${rows}-row tiles) that would be ${rate} (${ms.toFixed(3)} ms, ${clock}); the rate is not right until the count is (see above).` };
        }
        return { passed: true, summary: `The prefill took ${ms.toFixed(3)} ms (${clock} on ${engine.description}): with ${rows}-row tiles, ${rate} of keys and values from global memory (the L2 cache serves some of the repeats).` };
      },
    },
  ],
});
