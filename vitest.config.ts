import { defineConfig } from 'vitest/config';
import { gpuTestEnv } from './tests/gpu-env.mjs';

// dawn.node loads Vulkan when it starts, so the GPU tier's worker processes must inherit this
// environment: it is set here, in the main process, before the forks are spawned.
Object.assign(process.env, gpuTestEnv());

export default defineConfig({
  test: {
    projects: [
      { extends: true, test: { name: 'unit', include: ['tests/unit/**/*.test.ts'], environment: 'node' } },
      {
        extends: true,
        test: {
          name: 'gpu',
          include: ['tests/gpu/**/*.test.ts'],
          environment: 'node',
          pool: 'forks',
          // SwiftShader runs compute on the CPU: one file at a time keeps the 2-core CI machine responsive.
          fileParallelism: false,
          testTimeout: 300_000,
        },
      },
    ],
  },
});
