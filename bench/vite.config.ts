import { defineConfig } from 'vite';

/** Bundles the benchmarks into self-contained ESM files in .device/ for the GPU machine (Node only). */
export default defineConfig({
  build: {
    ssr: true,
    outDir: '.device',
    emptyOutDir: false,
    target: 'node20',
    minify: false,
    rollupOptions: {
      input: { attention: 'bench/attention.ts', calibrate: 'bench/calibrate.ts', formats: 'bench/formats.ts', 'tensor-cores': 'bench/tensor-cores.ts' },
      external: ['webgpu'],
      output: { entryFileNames: '[name].mjs', format: 'es' },
    },
  },
  ssr: { noExternal: true },
});
