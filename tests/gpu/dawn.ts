import { create, globals } from 'webgpu';
import { createEngine, type Engine } from '#kernels/index.ts';

Object.assign(globalThis, globals);

/**
 * A WebGPU engine on dawn.node. The GPU tier never skips: without an adapter (SwiftShader missing,
 * environment not set) this throws, and every GPU test fails with the reason.
 */
export async function dawnEngine(): Promise<Engine> {
  const gpu = create([]);
  const adapter = await gpu.requestAdapter();
  if (!adapter) {
    throw new Error(
      `dawn.node found no GPU adapter. VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES ?? '(unset)'}; ` +
        'run the GPU tier through npm (it sets the SwiftShader driver up) after installing chromium.',
    );
  }
  return createEngine({ backend: 'webgpu', gpu });
}
