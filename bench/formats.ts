/**
 * Block-sparse and composable-format benchmarks for the GPU machine (issue 5), same method as
 * bench/attention.ts: medians of timestamp-query GPU times after warm-up, ratios from one run.
 *
 *   npm run bench:build && (on the GPU machine) source .device/setup.sh && node .device/formats.mjs
 *
 * BENCH_ONLY=sparse,cascade picks sections.
 */
import {
  bsrAttention, bsrFromBlocks, bsrStats, cascadeLevels, cascadeSplits, checkAttentionArgs, foldQueryHeads, compileVariant, createEngine, randomBatch, referenceAttention, seededRandom, sharedPrefixBatch,
  type AttentionArgs, type BsrLayout, type CompiledVariant,
} from '#kernels/index.ts';
import { maxTileRows, tileRowsFor } from '#kernels/gpu/ragged-attention.ts';
import { benchSetup, gpuMs, keepAlive, report, requested, section, verify } from './common.ts';

const { engine, device } = await benchSetup();

/** The block mask applied score by score, the way a dense kernel must without a sparse format. */
const BLOCK_MASK_SOURCE = `// A 64×64 block mask read per score: block (qo / 64, kv / 64) is kept when its entry is 1.
export const vars = { blockCols: 1 as i32 };
export const tensors = { blocks: 'i32' };
export function logitsMask(idx: Idx): boolean {
  return tensors.blocks[(idx.qo >> 6) * vars.blockCols + (idx.kv >> 6)] === 1;
}
`;

function blockMaskVariant(): CompiledVariant {
  const result = compileVariant(BLOCK_MASK_SOURCE);
  if (!result.ok) throw new Error(`the block-mask variant failed to compile: ${JSON.stringify(result.errors)}`);
  return result.variant;
}

/**
 * One request of `length` queries and keys with a random 64×64 block mask of the given density
 * (the diagonal block always kept): the dense-kernel arguments (mask as a tensor, read per score)
 * and the same mask as a BSR layout of full blocks.
 */
function blockSparse(length: number, density: number, heads: { q: number; kv: number }, seed: number): { dense: AttentionArgs; bsr: BsrLayout } {
  const base = randomBatch({ qoLens: [length], kvLens: [length], numQoHeads: heads.q, numKvHeads: heads.kv, headDim: 128, seed });
  const n = length / 64;
  const random = seededRandom(seed);
  const blocks = new Int32Array(n * n);
  const list = [];
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < n; col++) {
      if (row === col || random() < density) {
        blocks[row * n + col] = 1;
        list.push({ row, col });
      }
    }
  }
  const matrix = bsrFromBlocks({ rows: length, cols: length, R: 64, C: 64, blocks: list });
  return { dense: { ...base, variant: blockMaskVariant(), vars: { blockCols: n }, tensors: { blocks } }, bsr: { R: 64, C: 64, heads: 'shared', matrices: [matrix] } };
}

if (section('sparse')) {
  const small = blockSparse(512, 0.3, { q: 4, kv: 2 }, 7);
  const want = referenceAttention(small.dense);
  await verify(engine, 'dense kernel with the block mask per score', small.dense, want);
  await verify(engine, 'block-sparse kernel', { ...small.dense, bsr: small.bsr }, bsrAttention(small.dense, small.bsr));
  const L = Number(process.env.BENCH_SPARSE_LENGTH ?? 8192);
  for (const density of (process.env.BENCH_DENSITIES ?? '0.1,0.25,0.5,1').split(',').map(Number)) {
    console.error(`# block-sparse L${L}, ${density * 100}% of blocks`);
    const { dense, bsr } = blockSparse(L, density, { q: 32, kv: 8 }, 11);
    const stats = bsrStats(bsr.matrices[0]);
    const denseMs = await gpuMs(engine, dense);
    const sparseMs = await gpuMs(engine, { ...dense, bsr });
    const unmaskedMs = density === 0.1 || density === 1 ? await gpuMs(engine, { ...dense, variant: undefined, vars: undefined, tensors: undefined }) : NaN;
    report('block-sparse (B1 H32/8 d128, 64x64 blocks)', {
      length: L,
      blockDensity: +stats.density.toFixed(4),
      denseMaskedMs: +denseMs.toFixed(3),
      bsrMs: +sparseMs.toFixed(3),
      speedup: +(denseMs / sparseMs).toFixed(2),
      ...(Number.isNaN(unmaskedMs) ? {} : { denseUnmaskedMs: +unmaskedMs.toFixed(3) }),
    });
  }
}

/** The shared-prefix batch of the cascade sections: 32/8 heads, head dim 128, pages of 16; every request 256 keys of its own. */
const PREFIX_SPEC = { numQoHeads: 32, numKvHeads: 8, headDim: 128, pageSize: 16 };

/**
 * B requests sharing a prefixLen-key prefix on the same pages (`shared`), each with 256 keys of its
 * own, and the same batch with one own key (`noOwn`: cascade's time is then its shared level and
 * merge); `folded` is the shared level's shape as cascade runs it (GQA heads folded into rows).
 */
function prefixBatches(B: number, prefixLen: number) {
  const shared = sharedPrefixBatch({ ...PREFIX_SPEC, prefixLen, suffixLens: Array<number>(B).fill(256), seed: 9 });
  const noOwn = sharedPrefixBatch({ ...PREFIX_SPEC, prefixLen, suffixLens: Array<number>(B).fill(1), seed: 9 });
  const levels = cascadeLevels(shared, prefixLen);
  return { shared, noOwn, levels, folded: checkAttentionArgs(foldQueryHeads(levels.prefix)) };
}

if (section('cascade')) {
  // Shared-prefix decode: 64 requests share a 4096-key prefix, each has 256 keys of its own; 32
  // query heads over 8 KV heads, head dim 128, pages of 16. Three ways: the decode kernel over each
  // request's full KV with the prefix on shared pages (a prefix cache: the GPU's L2 may hold the
  // shared pages), the same with every request holding its own copy of the prefix (what a cache
  // without sharing stores), and cascade (the prefix once for all 64 queries, merged by LSE).
  const small = sharedPrefixBatch({ ...PREFIX_SPEC, prefixLen: 512, suffixLens: [0, 7, 100, 256], seed: 3 });
  await verify(engine, 'cascade', { ...small, sharedPrefix: 512 }, referenceAttention(small));
  const B = Number(process.env.BENCH_CASCADE_BATCH ?? 64);
  const prefixLen = Number(process.env.BENCH_CASCADE_PREFIX ?? 4096);
  console.error(`# cascade: ${B} requests, prefix ${prefixLen}, 256 own keys each`);
  const { shared, noOwn, levels, folded } = prefixBatches(B, prefixLen);
  const copies = sharedPrefixBatch({ ...PREFIX_SPEC, prefixLen, suffixLens: Array<number>(B).fill(256), seed: 9, copies: true });
  const sharedMs = await gpuMs(engine, shared);
  const copiesMs = await gpuMs(engine, copies);
  const cascadeMs = await gpuMs(engine, { ...shared, sharedPrefix: prefixLen });
  // The shared level's key splits follow planWorkgroups (cascadeSplits, default 1024).
  const tileRows = tileRowsFor(maxTileRows(device), folded);
  for (const planWorkgroups of [512, 1024, 2048]) {
    const tuned = await createEngine({ backend: 'webgpu', device, planWorkgroups });
    const ms = await gpuMs(tuned, { ...shared, sharedPrefix: prefixLen });
    const splits = cascadeSplits(folded, planWorkgroups, tileRows);
    report('cascade, shared level split for other planWorkgroups', { planWorkgroups, tileRows, splits, cascadeMs: +ms.toFixed(4), speedupVsSharedPages: +(sharedMs / ms).toFixed(2) });
  }
  // Where cascade's time goes: its own level alone (each request's 256 keys on the decode kernel),
  // and cascade with no own keys (the shared level, a one-key own level and the merge).
  const ownMs = await gpuMs(engine, levels.suffix);
  const sharedLevelMs = await gpuMs(engine, { ...noOwn, sharedPrefix: prefixLen });
  report('cascade parts', { ownLevelMs: +ownMs.toFixed(4), cascadeWithOneOwnKeyMs: +sharedLevelMs.toFixed(4), cascadeMs: +cascadeMs.toFixed(4) });
  report('shared-prefix decode (B64 H32/8 d128 page16, prefix 4096 + 256 own)', {
    fullKvSharedPagesMs: +sharedMs.toFixed(4),
    fullKvCopiedPrefixMs: +copiesMs.toFixed(4),
    cascadeMs: +cascadeMs.toFixed(4),
    speedupVsSharedPages: +(sharedMs / cascadeMs).toFixed(2),
    speedupVsCopies: +(copiesMs / cascadeMs).toFixed(2),
  });
}

// On request (BENCH_ONLY=cascade-sweep): cascade under the tiled kernel's tuning knobs, to find
// where the shared level's time goes (query rows per workgroup, prefetching, key splits).
if (requested('cascade-sweep')) {
  const prefixLen = 4096;
  const { shared, noOwn, folded } = prefixBatches(64, prefixLen);
  report('cascade-sweep baseline', { fullKvSharedPagesMs: +(await gpuMs(engine, shared)).toFixed(4) });
  for (const prefillTileRows of [64, 128] as const) {
    for (const prefillPrefetch of [true, false]) {
      for (const planWorkgroups of [512, 1024, 2048, 4096]) {
        const tuned = await createEngine({ backend: 'webgpu', device, planWorkgroups, prefillTileRows, prefillPrefetch });
        const cascadeMs = await gpuMs(tuned, { ...shared, sharedPrefix: prefixLen });
        const oneOwnKeyMs = await gpuMs(tuned, { ...noOwn, sharedPrefix: prefixLen });
        report('cascade-sweep', { prefillTileRows, prefillPrefetch: String(prefillPrefetch), planWorkgroups, splits: cascadeSplits(folded, planWorkgroups, prefillTileRows), cascadeMs: +cascadeMs.toFixed(4), oneOwnKeyMs: +oneOwnKeyMs.toFixed(4) });
        tuned.destroy();
      }
    }
  }
}

clearInterval(keepAlive);
engine.destroy();
process.exit(0);
