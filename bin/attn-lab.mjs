#!/usr/bin/env node
// The attn-lab launcher. The grader's TypeScript (bin/cli.ts and the kernels it imports) uses Vite
// features plain Node lacks (`import.meta.glob`, `?raw`), so it is loaded through Vite's module
// runner: no build step, and the sources graded against are always the checked-out ones.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runnerImport } from 'vite';
import { gpuTestEnv, SWIFTSHADER_ICD } from '../tests/gpu-env.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
// A second run, with SwiftShader's Vulkan driver: dawn.node reads these when the process starts.
const swiftShaderAvailable = !process.env.ATTN_LAB_SWIFTSHADER && existsSync(SWIFTSHADER_ICD);

const { module: cli } = await runnerImport(fileURLToPath(new URL('./cli.ts', import.meta.url)), {
  root,
  configFile: false,
  logLevel: 'error',
});
const outcome = await cli.main(args, { swiftShaderAvailable });
if ('retryWithSwiftShader' in outcome) {
  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), ...args], {
    stdio: 'inherit',
    env: { ...process.env, ...gpuTestEnv(), ATTN_LAB_SWIFTSHADER: '1' },
  });
  process.exit(child.status ?? 1);
}
// dawn.node can keep the event loop alive after the engine is destroyed.
process.exit(outcome.code);
