/**
 * Attention benchmarks for the GPU machine. Every figure is a median of timestamp-query GPU times
 * after warm-up, printed beside a same-run reference: the streaming-read bandwidth of this GPU
 * (bench/torch_ref.py prints torch's SDPA on the same shapes). See BENCHMARKS.md.
 *
 *   npm run bench:build && (on the GPU machine) source .device/setup.sh && node .device/attention.mjs
 */
import { create, globals } from 'webgpu';
import {
  acquireDevice, BUILTIN_VARIANTS, builtinVariant, compileVariant, createEngine, measureReadBandwidth, median, pageBatch, randomBatch,
  type AttentionArgs, type CompiledVariant, type Engine,
} from '#kernels/index.ts';

Object.assign(globalThis, globals);

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const only = process.env.BENCH_ONLY?.split(',');

async function gpuMs(engine: Engine, args: AttentionArgs): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS + 2; i++) {
    const { timing } = await engine.run(args);
    if (timing?.source !== 'timestamp') throw new Error('this benchmark needs timestamp queries');
    if (i >= 2) times.push(timing.ms);
  }
  return median(times);
}

function variant(id: string): CompiledVariant {
  const result = compileVariant(builtinVariant(id).source);
  if (!result.ok) throw new Error(`${id} failed to compile`);
  return result.variant;
}

function report(name: string, fields: Record<string, number | string>) {
  console.log(JSON.stringify({ bench: name, ...fields }));
}

const gpu = create(['enable-dawn-features=allow_unsafe_apis']);
const acquired = await acquireDevice(gpu);
const engine = await createEngine({ backend: 'webgpu', device: acquired.device });
console.log(`# adapter: ${acquired.adapterName}; maxStorageBufferBindingSize ${acquired.device.limits.maxStorageBufferBindingSize}, maxBufferSize ${acquired.device.limits.maxBufferSize}`);

if (!only || only.includes('codegen')) {
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

const streamBytes = Number(process.env.BENCH_STREAM_BYTES ?? 2 ** 30);
const bandwidth = await measureReadBandwidth(acquired.device, streamBytes, RUNS);
report('stream-read', { bytes: streamBytes, TBps: +(bandwidth / 1e12).toFixed(3) });

if (!only || only.includes('decode')) {
  // Paged decode: batch 64, 32 query heads over 8 KV heads, head dim 128, 4096 keys, pages of 16.
  const B = 64;
  const L = 4096;
  const ragged = randomBatch({ qoLens: Array(B).fill(1), kvLens: Array(B).fill(L), numQoHeads: 32, numKvHeads: 8, headDim: 128, causal: true, seed: 1 });
  const paged = pageBatch(ragged, 16, 1);
  const ms = await gpuMs(engine, paged);
  const bytes = 2 * B * L * 8 * 128 * 4 + 2 * B * 32 * 128 * 4;
  const achieved = bytes / (ms / 1e3);
  report('paged-decode', { ms: +ms.toFixed(4), TBps: +(achieved / 1e12).toFixed(3), ofStreamRead: +(achieved / bandwidth).toFixed(3) });
}

if (!only || only.includes('prefill')) {
  // Causal prefill: batch 8, 32 heads, 2048 tokens, head dim 128.
  const B = 8;
  const L = 2048;
  const args = randomBatch({ qoLens: Array(B).fill(L), kvLens: Array(B).fill(L), numQoHeads: 32, numKvHeads: 32, headDim: 128, causal: true, seed: 2 });
  // Causal attention does half the L×L scores: 2 matmuls × 2 flops × B·H·D·L(L+1)/2.
  const flops = 4 * B * 32 * 128 * ((L * (L + 1)) / 2);
  const causalMs = await gpuMs(engine, args);
  report('causal-prefill', { ms: +causalMs.toFixed(3), TFLOPS: +(flops / causalMs / 1e9).toFixed(2) });
  for (const id of ['soft-cap', 'flash-sigmoid']) {
    // Same shape and mask: the flag supplies causality, the variant only its transform.
    const ms = await gpuMs(engine, { ...args, variant: variant(id), causal: true });
    report(`${id}-prefill`, { ms: +ms.toFixed(3), TFLOPS: +(flops / ms / 1e9).toFixed(2), vsCausal: +(ms / causalMs).toFixed(3) });
  }
}
engine.destroy();
// dawn.node keeps the process alive (and can abort in its teardown); the results are printed.
process.exit(0);
