/**
 * Whether the page's engine skips what a BSR layout leaves out: `engine.run({ ...args, bsr })`.
 * Found by running, not by version (an engine without the path ignores `bsr` and computes every
 * block; a block-skipping kernel may refuse some block sizes): a layout that stores no block must
 * give `lse = −∞` on every row.
 */
import { checkAttentionArgs, type AttentionArgs, type AttentionResult, type BsrLayout, type Engine } from '#kernels/index.ts';

/** A layout of the same shape that stores no block at all. */
export function emptyLayout(args: AttentionArgs, R: number, C: number): BsrLayout {
  const shape = checkAttentionArgs(args);
  const matrices = Array.from({ length: shape.batchSize }, (_, b) => {
    const rows = shape.qoIndptr[b + 1] - shape.qoIndptr[b];
    const cols = shape.kvLens[b];
    return { rows, cols, R, C, indptr: new Uint32Array(rows / R + 1), indices: new Uint32Array(0), partial: new Uint8Array(0) };
  });
  return { R, C, heads: 'shared', matrices };
}

export interface BlockSkipping {
  /** True when `engine.run({ ...args, bsr })` visits only the stored blocks. */
  skips: boolean;
  /** Why not, in a sentence, when it does not. */
  reason?: string;
}

/**
 * Whether this engine skips the blocks a layout leaves out, for these arguments' shape and this
 * block size (a block-skipping kernel may accept only some block sizes).
 */
export async function blockSkipping(engine: Engine, args: AttentionArgs, R: number, C: number): Promise<BlockSkipping> {
  let result: AttentionResult;
  try {
    result = await engine.run({ ...args, bsr: emptyLayout(args, R, C) });
  } catch (error) {
    return { skips: false, reason: `the engine refused a ${R} × ${C} layout: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (result.lse.every((x) => x === -Infinity)) return { skips: true };
  return { skips: false, reason: `this version of the ${engine.backend === 'webgpu' ? 'WebGPU' : 'CPU'} engine has no block-skipping path yet (it computed the blocks an empty layout leaves out)` };
}
