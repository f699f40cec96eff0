import { defineConfig } from '@playwright/test';
import { CHROMIUM } from './tests/gpu-env.mjs';

// E2E_PORT lets two e2e runs (e.g. in two copies of the checkout) share a machine.
const port = Number(process.env.E2E_PORT ?? 4174);

/** Chromium flags for WebGPU on SwiftShader (a CPU Vulkan driver), on a machine with no network. */
export const WEBGPU_FLAGS = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--enable-unsafe-swiftshader',
  '--use-webgpu-adapter=swiftshader',
  '--enable-features=Vulkan',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export default defineConfig({
  testDir: 'tests/e2e',
  timeout: 120_000,
  fullyParallel: false,
  workers: 1,
  reporter: [['list'], ['json', { outputFile: 'tests/.results/e2e.json' }]],
  use: {
    baseURL: `http://localhost:${port}`,
    launchOptions: { executablePath: CHROMIUM, args: WEBGPU_FLAGS },
  },
  webServer: {
    command: `npx vite preview --strictPort --port ${port}`,
    url: `http://localhost:${port}`,
    reuseExistingServer: false,
    timeout: 60_000,
  },
});
