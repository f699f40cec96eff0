/**
 * Measures the default kernel timing table of the serving simulator (kernels/serving/calibration.ts,
 * DEFAULT_KERNEL_TABLE) on the GPU machine and prints it as JSON.
 *
 *   npm run bench:build && (on the GPU machine) source .device/setup.sh && node .device/calibrate.mjs
 */
import { create, globals } from 'webgpu';
import { createEngine, DEFAULT_KERNEL_TABLE, measureKernelTable } from '#kernels/index.ts';

Object.assign(globalThis, globals);
// dawn.node does not keep Node's event loop alive while a GPU promise is pending (see attention.ts).
const keepAlive = setInterval(() => {}, 1000);

const engine = await createEngine({ backend: 'webgpu', gpu: create([]) });
const { numQoHeads, numKvHeads, headDim, prefill, decode } = DEFAULT_KERNEL_TABLE;
const table = await measureKernelTable(
  engine,
  { numQoHeads, numKvHeads, headDim, prefill: prefill.map(({ ms: _, ...shape }) => shape), decode: decode.map(({ ms: _, ...shape }) => shape) },
  { runs: 10, minMs: 0, warmupMs: 500, onProgress: ({ now }) => console.error(`# ${now}`) },
);
console.log(JSON.stringify(table, null, 2));
engine.destroy();
clearInterval(keepAlive);
process.exit(0);
