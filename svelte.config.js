import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/**
 * BASE_PATH hosts the static build under a sub-path, e.g. BASE_PATH=/attention-lab npm run build
 * for https://example.org/attention-lab/. It must start with '/' and not end with one.
 */
const base = process.env.BASE_PATH ?? '';

/** @type {import('@sveltejs/kit').Config} */
export default {
  preprocess: vitePreprocess(),
  kit: {
    adapter: adapter({ pages: 'build', assets: 'build', fallback: undefined, strict: true }),
    paths: { base, relative: true },
    files: {
      routes: 'site/routes',
      appTemplate: 'site/app.html',
      errorTemplate: 'site/error.html',
      assets: 'site/static',
      lib: 'playground',
      hooks: { client: 'site/hooks.client', server: 'site/hooks.server', universal: 'site/hooks' },
      params: 'site/params',
    },
    typescript: {
      config(config) {
        config.include.push('../kernels/**/*.ts', '../playground/**/*.ts', '../tests/**/*.ts', '../bench/**/*.ts', '../*.ts');
        // Variants are TypeScript-flavoured but checked by the variant compiler (tests/unit/builtins.test.ts), not tsc.
        config.exclude.push('../kernels/variant/builtins/**', '../kernels/variant/prelude.d.ts');
        return config;
      },
    },
  },
};
