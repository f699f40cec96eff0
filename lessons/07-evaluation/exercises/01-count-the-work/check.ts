import { randomBatch, type Engine } from '#kernels/index.ts';
import { answerCase, defineCheck, type CaseResult, type Submission } from '#playground/notebook/exercise.ts';
import { onHardwareGpu, timeOnEngine } from '#playground/notebook/timing.ts';
import solution from './solution.ts?raw';

const KV_LENS = [1000, 250, 4000, 750];
const PROMPTS = [512, 1024];
const QO_HEADS = 32;
const KV_HEADS = 8;
const HEAD_DIM = 128;
const ARRIVAL = 1200;
const TOKENS = [1450, 1480, 1510, 1545, 1570];

const keys = KV_LENS.reduce((a, b) => a + b, 0);
const pairs = PROMPTS.reduce((sum, l) => sum + (l * (l + 1)) / 2, 0);
const answer = (learner: Submission, name: string) => learner.answers[name] as number;
const words = (n: number) => n.toLocaleString('en-US');


export const check = defineCheck({
  solution,
  format: { variant: false, answers: ['kvBytes', 'prefillFlops', 'ttftMs', 'tpotMs'].map((name) => ({ name, kind: 'count' as const })) },
  cases: [
    answerCase('bytes a decode reads', `Keys and values of ${words(keys)} cached tokens, ${KV_HEADS} KV heads of ${HEAD_DIM} fp32 numbers.`, 'kvBytes', keys * KV_HEADS * HEAD_DIM * 2 * 4, [
      [keys * KV_HEADS * HEAD_DIM * 4, 'that is the keys alone (or keys and values at 2 bytes a number; these are fp32); a decode reads the values too.'],
      [keys * QO_HEADS * HEAD_DIM * 2 * 4, 'that counts a key and value per query head; with grouped-query attention they are stored (and read) once per KV head.'],
      [keys * KV_HEADS * HEAD_DIM * 2, 'that counts numbers, not bytes: an fp32 number is 4 bytes.'],
    ], `${words(keys)} tokens × ${KV_HEADS} KV heads × ${HEAD_DIM} × 2 × 4 bytes.`),
    answerCase('FLOPs of a causal prefill', `Prompts of ${PROMPTS.join(' and ')} tokens, ${QO_HEADS} query heads of ${HEAD_DIM}.`, 'prefillFlops', 4 * HEAD_DIM * QO_HEADS * pairs, [
      [4 * HEAD_DIM * QO_HEADS * PROMPTS.reduce((s, l) => s + l * l, 0), 'that counts every query against every key; a causal query sees only the keys up to itself.'],
      [2 * HEAD_DIM * QO_HEADS * pairs, 'that counts one of the two products; q·k and the weighted sum of v are d multiply-adds each.'],
      [4 * HEAD_DIM * KV_HEADS * pairs, 'that counts KV heads; every query head computes its own scores.'],
      [2 * HEAD_DIM * QO_HEADS * PROMPTS.reduce((s, l) => s + l * l, 0), 'that is L²/2 pairs per head, the usual estimate (or all L² pairs at 2d FLOPs); a causal query at position i sees i keys, itself included: L(L+1)/2 pairs, 4d FLOPs each.'],
      [4 * HEAD_DIM * QO_HEADS * PROMPTS.reduce((s, l) => s + (l * (l - 1)) / 2, 0), 'that leaves out the diagonal; a causal query sees its own key too: L(L+1)/2 pairs.'],
    ], `${words(pairs)} query–key pairs × ${QO_HEADS} heads × 4 · ${HEAD_DIM} FLOPs.`),
    answerCase('time to first token', `The request arrived at ${ARRIVAL} ms; its first token appeared at ${TOKENS[0]} ms.`, 'ttftMs', TOKENS[0] - ARRIVAL, [
      [TOKENS[0], 'that is the first token\u2019s time on the clock; TTFT counts from the request\u2019s arrival.'],
    ], `${TOKENS[0]} − ${ARRIVAL} ms.`),
    answerCase('time per output token', `Tokens at ${TOKENS.join(', ')} ms.`, 'tpotMs', (TOKENS.at(-1)! - TOKENS[0]) / (TOKENS.length - 1), [
      [(TOKENS.at(-1)! - TOKENS[0]) / TOKENS.length, `that divides by the ${TOKENS.length} tokens; ${TOKENS.length} tokens have ${TOKENS.length - 1} gaps between them.`],
      [Math.round((TOKENS.at(-1)! - ARRIVAL) / TOKENS.length), 'that counts from the arrival, mixing the wait for the first token into the pace of the rest.'],
    ], `(${TOKENS.at(-1)} − ${TOKENS[0]}) ms over ${TOKENS.length - 1} gaps.`),
    {
      name: 'your byte count, measured',
      description: 'The decode batch runs on your GPU (the CPU reference without WebGPU); your bytes over its time are the bandwidth it reached.',
      async grade(learner: Submission, _solution: Submission, engine: Engine): Promise<CaseResult> {
        const bytes = answer(learner, 'kvBytes');
        const args = randomBatch({ qoLens: KV_LENS.map(() => 1), kvLens: KV_LENS, numQoHeads: QO_HEADS, numKvHeads: KV_HEADS, headDim: HEAD_DIM, causal: true, seed: 71 });
        // A fast GPU reads these 49 MB in tens of microseconds: each timed span holds 64 back-to-back runs there.
        const { ms, source } = await timeOnEngine(engine, args, { runs: 5, warmupMs: 20, runsPerSpan: onHardwareGpu(engine) ? 64 : 1 });
        if (!(ms > 0)) return { passed: bytes === keys * KV_HEADS * HEAD_DIM * 2 * 4, summary: 'The decode step ran too fast for this browser\u2019s timer to measure; the count is checked above.' };
        const rate = `${(bytes / (ms / 1e3) / 1e9).toFixed(2)} GB/s`;
        const clock = source === 'timestamp' ? 'GPU time' : 'wall time';
        if (bytes !== keys * KV_HEADS * HEAD_DIM * 2 * 4) {
          return { passed: false, summary: `With your count the kernel would have moved ${rate} (${ms.toFixed(3)} ms, ${clock}); the rate is not right until the count is (see the first case).` };
        }
        return { passed: true, summary: `The decode step took ${ms.toFixed(3)} ms (${clock} on ${engine.description}): ${rate} of keys and values.` };
      },
    },
  ],
});
