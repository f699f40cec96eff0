/**
 * Attention benchmarks for the GPU machine. Every figure is a median of timestamp-query GPU times
 * after warm-up, printed beside a same-run reference: the streaming-read bandwidth of this GPU
 * (bench/torch_ref.py prints torch's SDPA on the same shapes). See BENCHMARKS.md.
 *
 *   npm run bench:build && (on the GPU machine) source .device/setup.sh && node .device/attention.mjs
 */
import { create } from 'webgpu';
import {
  BUILTIN_VARIANTS, checkAttentionArgs, DECODE_ITEM_OVERHEAD, decodePlanDevice, shareGptLike, referenceAttention, compileVariant, createEngine, median, pageBatch, plan, randomBatch,
  type AttentionArgs,
} from '#kernels/index.ts';
import { maxTileRows, tileRowsFor } from '#kernels/gpu/ragged-attention.ts';
import { benchmark, benchSetup, gpuMs, keepAlive, report, requested, section, variant, verify as verifyOn } from './common.ts';

const { engine, bandwidth, device } = await benchSetup();


/** An engine on a second device with Dawn's robustness (bounds checks on every access) off: a diagnostic only. */
async function uncheckedEngine() {
  const gpu = create(['enable-dawn-features=allow_unsafe_apis,disable_robustness']);
  held.push(gpu);
  return createEngine({ backend: 'webgpu', gpu });
}
const held: unknown[] = [];

/** Checks a kernel path on this GPU against the reference at a small size before timing it. */
async function verify(name: string, args: AttentionArgs): Promise<void> {
  await verifyOn(engine, name, args, referenceAttention(args));
}

if (section('codegen')) {
  for (const builtin of BUILTIN_VARIANTS) {
    const times: number[] = [];
    for (let i = 0; i < 25; i++) {
      const result = compileVariant(builtin.source);
      if (!result.ok) throw new Error(builtin.id);
      if (i >= 5) times.push(result.variant.codegenMs);
    }
    report('codegen', { variant: builtin.id, medianMs: +median(times).toFixed(3) });
  }
}


if (section('decode')) {
  // Paged decode: batch 64, 32 query heads over 8 KV heads, head dim 128, 4096 keys, pages of 16.
  const small = randomBatch({ qoLens: [1, 1, 1], kvLens: [1000, 3000, 17], numQoHeads: 32, numKvHeads: 8, headDim: 128, causal: true, seed: 3 });
  await verify('paged decode', pageBatch(small, 16, 3));
  await verify('paged decode, soft-cap', { ...pageBatch(small, 16, 3), variant: variant('soft-cap') });
  console.error('# paged decode: building the batch');
  const B = 64;
  const L = 4096;
  const ragged = randomBatch({ qoLens: Array(B).fill(1), kvLens: Array(B).fill(L), numQoHeads: 32, numKvHeads: 8, headDim: 128, causal: true, seed: 1 });
  const paged = pageBatch(ragged, 16, 1);
  const bytes = 2 * B * L * 8 * 128 * 4 + 2 * B * 32 * 128 * 4;
  for (const kernel of ['decode', 'prefill'] as const) {
    const ms = await gpuMs(engine, { ...paged, kernel });
    const achieved = bytes / (ms / 1e3);
    report(`paged-decode (${kernel} kernel)`, { ms: +ms.toFixed(4), TBps: +(achieved / 1e12).toFixed(3), ofStreamRead: +(achieved / bandwidth).toFixed(3) });
  }
  // The default plan fills DEFAULT_PLAN_WORKGROUPS (1024) workgroups; other settings of planWorkgroups.
  for (const planWorkgroups of [256, 512, 2048]) {
    const tuned = await createEngine({ backend: 'webgpu', device, planWorkgroups });
    const result = await benchmark(tuned, paged);
    const ms = result.timing!.ms;
    report(`paged-decode, plan for ${planWorkgroups} workgroups`, { ms: +ms.toFixed(4), items: result.plan!.items.length, chunk: result.plan!.chunkSize, ofStreamRead: +(bytes / (ms / 1e3) / bandwidth).toFixed(3) });
  }
  for (const decodeLanes of [16, 32]) {
    const tuned = await createEngine({ backend: 'webgpu', device, decodeLanes });
    const tunedMs = await gpuMs(tuned, paged);
    report(`paged-decode, ${decodeLanes} lanes per key`, { ms: +tunedMs.toFixed(4), ofStreamRead: +(bytes / (tunedMs / 1e3) / bandwidth).toFixed(3) });
  }
  // Where decode time goes: without the causal check, without softmax (FlashSigmoid), with
  // soft-cap's tanh, and with keys only (values all zero still read: same bytes).
  for (const [name, extra] of [
    ['no causal flag', { causal: false }],
    ['FlashSigmoid (no softmax)', { causal: false, variant: variant('flash-sigmoid') }],
    ['soft-cap', { variant: variant('soft-cap') }],
  ] as const) {
    const ms = await gpuMs(engine, { ...paged, ...extra });
    report(`paged-decode, ${name}`, { ms: +ms.toFixed(4), ofStreamRead: +(bytes / (ms / 1e3) / bandwidth).toFixed(3) });
  }
  const portable = await createEngine({ backend: 'webgpu', device, subgroups: false });
  const portableMs = await gpuMs(portable, paged);
  report('paged-decode, portable lane sums (no subgroups)', { ms: +portableMs.toFixed(4), ofStreamRead: +(bytes / (portableMs / 1e3) / bandwidth).toFixed(3) });
  const ms = await gpuMs(engine, ragged);
  report('ragged-decode (decode kernel)', { ms: +ms.toFixed(4), TBps: +(bytes / ms / 1e9).toFixed(3), ofStreamRead: +(bytes / (ms / 1e3) / bandwidth).toFixed(3) });
}

if (section('plans')) {
  // The load-balanced plan against the naive plan (issue 5) on the decode kernel: 32/8 heads, head
  // dim 128, paged KV (pages of 16), one query per request. Balanced: plan() over the engine's
  // planWorkgroups, keys split into chunks, longest item first to the least-loaded workgroup, split
  // rows merged by the contraction kernel. Naive: one item per request and KV head's group of
  // query heads, all its keys. Targets: skewed and ShareGPT-like ≥ 2× faster, uniform within 5%.
  // `floorSpeedup` is naive's time over the batch's bytes at the same run's streaming-read rate:
  // the most any plan could gain. ShareGPT-like batches of 16 to 128 requests show how it shrinks.
  const small = randomBatch({ qoLens: [1, 1, 1, 1], kvLens: [3000, 40, 512, 0], numQoHeads: 32, numKvHeads: 8, headDim: 128, causal: true, seed: 5 });
  await verify('paged decode, balanced plan', { ...pageBatch(small, 16, 5), plan: 'balanced' });
  await verify('paged decode, naive plan', { ...pageBatch(small, 16, 5), plan: 'naive' });
  const batches: [string, number[], string][] = [
    ['skewed: one 32768 + 63 of 512', [32768, ...Array<number>(63).fill(512)], '>= 2x'],
    ...[64, 16, 32, 128].map((count): [string, number[], string] => [`ShareGPT-like (prompt + output lengths, ${count} requests)`, shareGptLike(count, 7, 8192).map((r) => r.promptLen + r.outputLen), '>= 2x']),
    ['uniform: 64 of 4096', Array<number>(64).fill(4096), 'within 5%'],
  ];
  for (const [name, kvLens, target] of batches) {
    console.error(`# plans: ${name}`);
    const args = pageBatch(randomBatch({ qoLens: kvLens.map(() => 1), kvLens, numQoHeads: 32, numKvHeads: 8, headDim: 128, causal: true, seed: 5 }), 16, 5);
    const bytes = 2 * kvLens.reduce((sum, n) => sum + n, 0) * 8 * 128 * 4 + 2 * kvLens.length * 32 * 128 * 4;
    // Interleaved rounds, so clock or thermal drift affects both plans alike; medians of the rounds.
    const times = { naive: [] as number[], balanced: [] as number[] };
    const plans: Record<string, { items: number; chunk: number; predicted: number; workgroups: number }> = {};
    for (let round = 0; round < 3; round++) {
      for (const choice of ['naive', 'balanced'] as const) {
        const result = await benchmark(engine, { ...args, plan: choice });
        times[choice].push(result.timing!.ms);
        const p = result.plan!;
        plans[choice] = { items: p.items.length, chunk: p.chunkSize, predicted: p.predicted, workgroups: p.workgroups };
      }
    }
    const naiveMs = median(times.naive);
    const balancedMs = median(times.balanced);
    report(`decode plans, ${name}`, {
      naiveMs: +naiveMs.toFixed(4),
      balancedMs: +balancedMs.toFixed(4),
      speedup: +(naiveMs / balancedMs).toFixed(3),
      predictedSpeedup: +(plans.naive.predicted / plans.balanced.predicted).toFixed(2),
      floorSpeedup: +(naiveMs / ((bytes / bandwidth) * 1e3)).toFixed(2),
      target,
      balancedItems: plans.balanced.items,
      chunk: plans.balanced.chunk,
      naiveItems: plans.naive.items,
      workgroups: plans.balanced.workgroups,
      balancedOfStreamRead: +(bytes / (balancedMs / 1e3) / bandwidth).toFixed(3),
    });
  }
}

if (section('plans-prefill')) {
  // Plans on the prefill kernel, 32/8 heads, d128, causal: the launch without a plan (one workgroup
  // per query tile, longest first), what the engine runs when asked for nothing (autoPrefillPlan
  // decides), and plan() balanced and naive. A skewed prefill batch (one request of 16384 tokens
  // and 15 of 512) and an append batch (one request adds 128 tokens to 32768 cached ones, 15 add
  // 16 to 512: its query tiles are too few to fill the GPU unless their keys are split).
  const check = randomBatch({ qoLens: [700, 64], kvLens: [700, 64], numQoHeads: 4, numKvHeads: 2, headDim: 128, causal: true, seed: 6 });
  await verify('prefill, balanced plan', { ...check, plan: 'balanced' });
  await verify('append, the plan the engine chooses', randomBatch({ qoLens: [64, 16], kvLens: [4096, 300], numQoHeads: 4, numKvHeads: 2, headDim: 128, causal: true, seed: 6 }));
  const batches: [string, number[], number[]][] = [
    ['skewed causal: one 16384 + 15 of 512', [16384, ...Array<number>(15).fill(512)], [16384, ...Array<number>(15).fill(512)]],
    ['append: 128 queries onto 32768 keys + 15 of 16 onto 512', [128, ...Array<number>(15).fill(16)], [32768, ...Array<number>(15).fill(512)]],
    ['append: 128 queries onto 8192 keys', [128], [8192]],
    ['mixed: prefill 1024, append 64 onto 4096, 6 decodes of 2048', [1024, 64, 1, 1, 1, 1, 1, 1], [1024, 4096, ...Array<number>(6).fill(2048)]],
  ];
  for (const [name, qoLens, kvLens] of batches) {
    const args = randomBatch({ qoLens, kvLens, numQoHeads: 32, numKvHeads: 8, headDim: 128, causal: true, seed: 6 });
    const choices = { none: 'none', auto: undefined, balanced: 'balanced', naive: 'naive' } as const;
    const times: Record<string, number[]> = { none: [], auto: [], balanced: [], naive: [] };
    let autoKernel = '';
    for (let round = 0; round < 3; round++) {
      for (const [key, choice] of Object.entries(choices)) {
        const result = await benchmark(engine, { ...args, plan: choice });
        times[key].push(result.timing!.ms);
        if (key === 'auto') autoKernel = `${result.kernel}${result.plan ? `, chunk ${result.plan.chunkSize}` : ''}`;
      }
    }
    const ms = (key: string) => median(times[key]);
    report(`prefill plans, ${name}`, {
      noPlanMs: +ms('none').toFixed(3),
      autoMs: +ms('auto').toFixed(3),
      auto: autoKernel,
      balancedMs: +ms('balanced').toFixed(3),
      naiveMs: +ms('naive').toFixed(3),
      autoVsNoPlan: +(ms('none') / ms('auto')).toFixed(2),
      balancedVsNaive: +(ms('naive') / ms('balanced')).toFixed(2),
    });
  }
}

if (requested('plans-prefill-sweep')) {
  // The tiled prefill kernel under given plans (chunks of 256 keys to unsplit) against its default
  // launch, for batches from an append onto a long cache to a full prefill: data for a plan model
  // of the prefill kernel like the decode kernel's.
  const batches: [string, number[], number[]][] = [
    ['append 128 onto 32768 + 15 of 16 onto 512', [128, ...Array<number>(15).fill(16)], [32768, ...Array<number>(15).fill(512)]],
    ['append 128 onto 8192', [128], [8192]],
    ['append 512 onto 16384', [512], [16384]],
    ['prefill 2048', [2048], [2048]],
    ['prefill 512 x 4', Array<number>(4).fill(512), Array<number>(4).fill(512)],
    ['mixed: prefill 1024, append 64 onto 4096, 6 decodes of 2048', [1024, 64, 1, 1, 1, 1, 1, 1], [1024, 4096, ...Array<number>(6).fill(2048)]],
  ];
  const rowsOf = (args: AttentionArgs) => tileRowsFor(maxTileRows(device), checkAttentionArgs(args));
  for (const [name, qoLens, kvLens] of batches) {
    const args = randomBatch({ qoLens, kvLens, numQoHeads: 32, numKvHeads: 8, headDim: 128, causal: true, seed: 8 });
    const qoTile = rowsOf(args);
    const batch = { qoLens, kvLens, numQoHeads: 32, causal: true };
    const defaultMs = await gpuMs(engine, { ...args, plan: 'none' });
    report('prefill plans sweep, default launch', { batch: name, qoTile, ms: +defaultMs.toFixed(4) });
    const longest = Math.max(...kvLens);
    for (const chunk of [256, 512, 1024, 2048, 4096, 8192, longest].filter((c, i, all) => c <= longest && all.indexOf(c) === i)) {
      const given = plan(batch, { workgroups: 1024 }, { qoTile, chunk });
      const ms = await gpuMs(engine, { ...args, plan: given });
      report('prefill plans sweep', { batch: name, qoTile, chunk, items: given.items.length, merges: given.merges.length, maxLoad: given.maxLoad, totalCost: given.totalCost, ms: +ms.toFixed(4), vsDefault: +(defaultMs / ms).toFixed(2) });
    }
  }
}

if (requested('decode-sweep')) {
  // Tuning table for the decode kernel's shape: query heads per workgroup × lanes per key × keys
  // each slot loads before use, on the paged decode benchmark shape.
  const ragged = randomBatch({ qoLens: Array(64).fill(1), kvLens: Array(64).fill(4096), numQoHeads: 32, numKvHeads: 8, headDim: 128, causal: true, seed: 1 });
  const paged = pageBatch(ragged, 16, 1);
  const bytes = 2 * 64 * 4096 * 8 * 128 * 4 + 2 * 64 * 32 * 128 * 4;
  for (const decodeHeads of [1, 2, 4]) {
    for (const decodeLanes of [4, 8, 16, 32]) {
      for (const decodeKeysInFlight of [1, 2, 4, 8]) {
        if ((128 / 4 / decodeLanes) * decodeKeysInFlight > 16) continue;
        const tuned = await createEngine({ backend: 'webgpu', device, decodeLanes, decodeHeads, decodeKeysInFlight });
        const ms = await gpuMs(tuned, paged);
        report('paged-decode sweep', { decodeHeads, decodeLanes, decodeKeysInFlight, ms: +ms.toFixed(4), ofStreamRead: +(bytes / (ms / 1e3) / bandwidth).toFixed(3) });
      }
    }
  }
}

if (section('prefill')) {
  await verify('causal prefill', randomBatch({ qoLens: [300, 77], kvLens: [300, 100], numQoHeads: 4, numKvHeads: 2, headDim: 128, causal: true, seed: 4 }));
  // Causal prefill: batch 8, 32 heads, 2048 tokens, head dim 128.
  const B = 8;
  const L = 2048;
  const args = randomBatch({ qoLens: Array(B).fill(L), kvLens: Array(B).fill(L), numQoHeads: 32, numKvHeads: 32, headDim: 128, causal: true, seed: 2 });
  // Causal attention does half the L×L scores: 2 matmuls × 2 flops × B·H·D·L(L+1)/2.
  const flops = 4 * B * 32 * 128 * ((L * (L + 1)) / 2);
  // The three kernels are measured in interleaved rounds (causal, soft-cap, FlashSigmoid, causal,
  // ...) so drift during the run affects them alike; then the medians of the rounds are compared.
  // Diagnostics beside them: the kernel without its one-stage-ahead register prefetch (fewer live
  // registers), and Dawn's bounds checks off (an unsafe toggle the site never uses).
  const noPrefetch = await createEngine({ backend: 'webgpu', device, prefillPrefetch: false, prefillTileRows: 64 });
  const rows64 = await createEngine({ backend: 'webgpu', device, prefillTileRows: 64 });
  const unchecked = await uncheckedEngine();
  const check = randomBatch({ qoLens: [300, 77], kvLens: [300, 100], numQoHeads: 4, numKvHeads: 2, headDim: 128, causal: true, seed: 4 });
  await verifyOn(noPrefetch, 'causal prefill, no register prefetch', check, referenceAttention(check));
  await verifyOn(rows64, 'causal prefill, 64-row tiles', check, referenceAttention(check));
  const cases = [
    { name: 'causal-prefill', args, on: engine },
    ...['soft-cap', 'flash-sigmoid'].map((id) => ({ name: `${id}-prefill`, args: { ...args, variant: variant(id), causal: true }, on: engine })),
    { name: 'causal-prefill, 64-row tiles', args, on: rows64 },
    { name: 'causal-prefill, 64-row tiles, no register prefetch (diagnostic)', args, on: noPrefetch },
    { name: 'causal-prefill, robustness off (diagnostic)', args, on: unchecked },
  ];
  const times: number[][] = cases.map(() => []);
  for (let round = 0; round < 5; round++) {
    for (const [c, { args: caseArgs, on }] of cases.entries()) times[c].push(await gpuMs(on, caseArgs));
  }
  const causalMs = median(times[0]);
  cases.forEach(({ name }, c) => {
    const ms = median(times[c]);
    report(name, { ms: +ms.toFixed(3), TFLOPS: +(flops / ms / 1e9).toFixed(2), vsCausal: +(ms / causalMs).toFixed(3) });
  });
}
engine.destroy();
clearInterval(keepAlive);
// The results are printed; exit without waiting for dawn.node's teardown, which can abort.
process.exit(0);
