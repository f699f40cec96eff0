/**
 * The modules a cell may import, by the same specifiers tests and library code use. A static
 * site has no bundler at run time, so each is a loader Vite can see; importing anything else is
 * an error the parser reports with its line.
 */
export const CELL_MODULES: Record<string, () => Promise<unknown>> = {
  '#kernels/index.ts': () => import('#kernels/index.ts'),
  '#playground/notebook/inputs.ts': () => import('#playground/notebook/inputs.ts'),
  '#playground/notebook/block-sparse.ts': () => import('#playground/notebook/block-sparse.ts'),
  '#playground/notebook/timing.ts': () => import('#playground/notebook/timing.ts'),
  '#playground/plan-presets.ts': () => import('#playground/plan-presets.ts'),
};

export const CELL_MODULE_SPECIFIERS: readonly string[] = Object.keys(CELL_MODULES);
