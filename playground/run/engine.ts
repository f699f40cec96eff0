import { createEngine, type Engine } from '#kernels/index.ts';

export interface AcquiredEngine {
  engine: Engine;
  /** Why the GPU is not used, when the engine fell back to the CPU reference. */
  fallbackReason?: string;
}

/** The browser's WebGPU engine, or the CPU reference with the reason WebGPU could not be used. */
export async function acquireEngine(): Promise<AcquiredEngine> {
  try {
    return { engine: await createEngine({ backend: 'webgpu' }) };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { engine: await createEngine({ backend: 'cpu' }), fallbackReason: reason };
  }
}
