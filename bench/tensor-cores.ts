/**
 * Can WGSL reach the H100's tensor cores for attention? Dawn's experimental subgroup matrices
 * (`chromium-experimental-subgroup-matrix`, behind `allow_unsafe_apis`) are the only route. This
 * prints the adapter's matrix configurations, then times an int8 GEMM (C = A·Bᵀ, i32 results) on
 * them, checked exactly against the CPU on 2000 sampled entries, at 4096³ and at an attention-like
 * shape (K = 128, a head dimension), beside the MMA-only rate (operands loaded once, no traffic).
 *
 * The staged kernel: 256 threads (8 subgroups as 4 × 2), a workgroup tile of (64·TM) × (32·TN), a
 * K step of 64 int8 staged through workgroup memory with rows padded by `pad` words; each subgroup
 * accumulates TM × TN 16×16 result matrices. Beside it, the same product with operands read straight
 * from storage, and with the same operands read at every K step (the MMA rate alone). On this Dawn an int8 matrix is loaded from an
 * `array<i32>` with its offset and stride in 32-bit words (four int8 each), not in elements.
 */
import { create, globals } from 'webgpu';
import { keepAlive, report } from './common.ts';

Object.assign(globalThis, globals);

interface Gemm {
  code: string;
  rows: number;
  cols: number;
}

const HEADER = `enable chromium_experimental_subgroup_matrix;
enable subgroups;`;

/**
 * The unstaged int8 GEMM: `subgroups` subgroups side by side along N, each loading its operands
 * straight from storage and accumulating tm × tn result matrices. With `mmaOnly` each load reads the
 * same operands at every K step (its first), which leaves the MMA rate alone.
 */
function directGemm(tm: number, tn: number, subgroups: number, mmaOnly = false): Gemm {
  const lines: string[] = [];
  for (let i = 0; i < tm; i++) for (let j = 0; j < tn; j++) lines.push(`  var c${i}_${j} = subgroup_matrix_result<i32, 16, 16>();`);
  lines.push('  for (var k = 0u; k < dims.z; k += 32u) {');
  const at = (row: string) => (mmaOnly ? `(${row}) * dims.z / 4u` : `((${row}) * dims.z + k) / 4u`);
  for (let i = 0; i < tm; i++) lines.push(`    let a${i} = subgroupMatrixLoad<subgroup_matrix_left<i8, 32, 16>, row_major>(&a, ${at(`m0 + ${16 * i}u`)}, dims.z / 4u);`);
  for (let j = 0; j < tn; j++) lines.push(`    let b${j} = subgroupMatrixLoad<subgroup_matrix_right<i8, 16, 32>, col_major>(&b, ${at(`n0 + ${16 * j}u`)}, dims.z / 4u);`);
  for (let i = 0; i < tm; i++) for (let j = 0; j < tn; j++) lines.push(`    c${i}_${j} = subgroupMatrixMultiplyAccumulate(a${i}, b${j}, c${i}_${j});`);
  lines.push('  }');
  for (let i = 0; i < tm; i++) {
    for (let j = 0; j < tn; j++) lines.push(`  subgroupMatrixStore<row_major>(&c, (m0 + ${16 * i}u) * dims.y + n0 + ${16 * j}u, c${i}_${j}, dims.y);`);
  }
  const code = `${HEADER}
@group(0) @binding(0) var<storage, read> a: array<i32>;
@group(0) @binding(1) var<storage, read> b: array<i32>;
@group(0) @binding(2) var<storage, read_write> c: array<i32>;
@group(0) @binding(3) var<uniform> dims: vec4u; // M, N, K (int8 elements)
@compute @workgroup_size(${32 * subgroups})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(subgroup_id) sg: u32) {
  let m0 = wg.y * ${16 * tm}u;
  let n0 = (wg.x * ${subgroups}u + sg) * ${16 * tn}u;
${lines.join('\n')}
}`;
  return { code, rows: 16 * tm, cols: 16 * tn * subgroups };
}

/** The int8 GEMM staged through workgroup memory (see the top of the file). */
function stagedGemm(tm: number, tn: number, pad: number): Gemm {
  const rows = 64 * tm;
  const cols = 32 * tn;
  const stride = 16 + pad;
  const lines: string[] = [];
  for (let i = 0; i < tm; i++) for (let j = 0; j < tn; j++) lines.push(`  var c${i}_${j} = subgroup_matrix_result<i32, 16, 16>();`);
  const stage = (name: string, source: string, base: string, count: number) =>
    `    for (var e = lid; e < ${count * 4}u; e += 256u) {
      let r = e / 4u;
      let w = (e % 4u) * 4u;
      let v = ${source}[((${base} + r) * dims.z / 4u + k + w) / 4u];
      let at = r * ${stride}u + w;
      ${name}[at] = v.x; ${name}[at + 1u] = v.y; ${name}[at + 2u] = v.z; ${name}[at + 3u] = v.w;
    }`;
  lines.push('  for (var k = 0u; k < dims.z / 4u; k += 16u) {');
  lines.push('    workgroupBarrier();', stage('sa', 'a4', 'm0', rows), stage('sb', 'b4', 'n0', cols), '    workgroupBarrier();');
  lines.push('    for (var kk = 0u; kk < 16u; kk += 8u) {');
  const offset = (base: string) => `(${base}) * ${stride}u + kk`;
  for (let i = 0; i < tm; i++) lines.push(`      let a${i} = subgroupMatrixLoad<subgroup_matrix_left<i8, 32, 16>, row_major>(&sa, ${offset(`sm + ${16 * i}u`)}, ${stride}u);`);
  for (let j = 0; j < tn; j++) lines.push(`      let b${j} = subgroupMatrixLoad<subgroup_matrix_right<i8, 16, 32>, col_major>(&sb, ${offset(`sn + ${16 * j}u`)}, ${stride}u);`);
  for (let i = 0; i < tm; i++) for (let j = 0; j < tn; j++) lines.push(`      c${i}_${j} = subgroupMatrixMultiplyAccumulate(a${i}, b${j}, c${i}_${j});`);
  lines.push('    }', '  }');
  for (let i = 0; i < tm; i++) {
    for (let j = 0; j < tn; j++) lines.push(`  subgroupMatrixStore<row_major>(&c, (m0 + sm + ${16 * i}u) * dims.y + n0 + sn + ${16 * j}u, c${i}_${j}, dims.y);`);
  }
  const code = `${HEADER}
@group(0) @binding(0) var<storage, read> a4: array<vec4<i32>>;
@group(0) @binding(1) var<storage, read> b4: array<vec4<i32>>;
@group(0) @binding(2) var<storage, read_write> c: array<i32>;
@group(0) @binding(3) var<uniform> dims: vec4u; // M, N, K (int8 elements)
var<workgroup> sa: array<i32, ${rows * stride}>;
var<workgroup> sb: array<i32, ${cols * stride}>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(subgroup_id) sg: u32, @builtin(local_invocation_index) lid: u32) {
  let m0 = wg.y * ${rows}u;
  let n0 = wg.x * ${cols}u;
  let sm = (sg / 2u) * ${16 * tm}u;
  let sn = (sg % 2u) * ${16 * tn}u;
${lines.join('\n')}
}`;
  return { code, rows, cols };
}

const gpu = create(['enable-dawn-features=allow_unsafe_apis']);
const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
if (!adapter) throw new Error('no WebGPU adapter');
const configs = (adapter.info as GPUAdapterInfo & { subgroupMatrixConfigs?: { componentType: string; resultComponentType: string; M: number; N: number; K: number }[] }).subgroupMatrixConfigs ?? [];
report('adapter', {
  name: adapter.info.description || adapter.info.device,
  shaderF16: String(adapter.features.has('shader-f16')),
  subgroupMatrix: configs.map((m) => `${m.componentType}->${m.resultComponentType} ${m.M}x${m.N}x${m.K}`).join(', ') || 'none',
});
if (!adapter.features.has('chromium-experimental-subgroup-matrix') || !configs.some((m) => m.componentType === 'i8' && m.M === 16 && m.N === 16 && m.K === 32)) {
  report('skipped', { reason: 'no i8 16x16x32 subgroup matrices on this adapter' });
  clearInterval(keepAlive);
  process.exit(0);
}
const device = await adapter.requestDevice({
  requiredFeatures: ['chromium-experimental-subgroup-matrix' as GPUFeatureName, 'subgroups', 'timestamp-query'],
  requiredLimits: { maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize, maxBufferSize: adapter.limits.maxBufferSize },
});

function upload(data: ArrayBufferView, usage: number): GPUBuffer {
  const buffer = device.createBuffer({ size: data.byteLength, usage: usage | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  return buffer;
}

async function readBack(source: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
  const staging = device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(source, 0, staging, 0, bytes);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const copy = staging.getMappedRange().slice(0);
  staging.destroy();
  return copy;
}

const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const PER_SPAN = 10;

/** Median ms per GEMM (timestamps around PER_SPAN back-to-back dispatches) and sampled mismatches. */
async function timeGemm(gemm: Gemm, m: number, n: number, k: number, check: boolean): Promise<{ ms: number; mismatches: number }> {
  const module = device.createShaderModule({ code: gemm.code });
  const errors = (await module.getCompilationInfo()).messages.filter((message) => message.type === 'error');
  if (errors.length) throw new Error(errors.map((e) => `${e.lineNum}:${e.linePos} ${e.message}`).join('; '));
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const a = new Int8Array(m * k).map(() => Math.floor(Math.random() * 255) - 127);
  const b = new Int8Array(n * k).map(() => Math.floor(Math.random() * 255) - 127);
  const buffers = [
    upload(a, GPUBufferUsage.STORAGE),
    upload(b, GPUBufferUsage.STORAGE),
    device.createBuffer({ size: m * n * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC }),
    upload(new Uint32Array([m, n, k, 0]), GPUBufferUsage.UNIFORM),
  ];
  const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })) });
  const querySet = device.createQuerySet({ type: 'timestamp', count: 2 });
  const resolved = device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  const times: number[] = [];
  for (let run = 0; run < RUNS + 2; run++) {
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass({ timestampWrites: { querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    for (let i = 0; i < PER_SPAN; i++) pass.dispatchWorkgroups(n / gemm.cols, m / gemm.rows);
    pass.end();
    encoder.resolveQuerySet(querySet, 0, 2, resolved, 0);
    device.queue.submit([encoder.finish()]);
    const stamps = new BigUint64Array(await readBack(resolved, 16));
    // The first two spans warm the clocks up.
    if (run >= 2) times.push(Number(stamps[1] - stamps[0]) / 1e6 / PER_SPAN);
  }
  let mismatches = 0;
  if (check) {
    const got = new Int32Array(await readBack(buffers[2], m * n * 4));
    for (let s = 0; s < 2000; s++) {
      const i = Math.floor(Math.random() * m);
      const j = Math.floor(Math.random() * n);
      let want = 0;
      for (let t = 0; t < k; t++) want += a[i * k + t] * b[j * k + t];
      if (got[i * n + j] !== want) mismatches++;
    }
  }
  for (const buffer of [...buffers, resolved]) buffer.destroy();
  querySet.destroy();
  times.sort((x, y) => x - y);
  return { ms: times[times.length >> 1], mismatches };
}

{
  const { ms, mismatches } = await timeGemm(directGemm(4, 4, 4), 4096, 4096, 4096, true);
  report('int8 gemm, from storage', { tile: '64x64 per subgroup', shape: '4096x4096x4096', ms, tops: (2 * 4096 ** 3) / ms / 1e9, mismatches });
}
for (const [tm, tn, pad] of [[2, 2, 4], [1, 4, 4], [2, 4, 4], [2, 4, 0]]) {
  for (const [m, n, k] of [[4096, 4096, 4096], [2048, 4096, 128]]) {
    const { ms, mismatches } = await timeGemm(stagedGemm(tm, tn, pad), m, n, k, true);
    report('int8 gemm, staged', { tile: `${64 * tm}x${32 * tn}`, pad, shape: `${m}x${n}x${k}`, ms, tops: (2 * m * n * k) / ms / 1e9, mismatches });
  }
}
{
  const { ms } = await timeGemm(directGemm(4, 4, 4, true), 4096, 4096, 4096, false);
  report('int8 mma only', { tile: '64x64 per subgroup', shape: '4096x4096x4096', ms, tops: (2 * 4096 ** 3) / ms / 1e9 });
}
clearInterval(keepAlive);
device.destroy();
