import type { Diagnostic } from './variant/diagnostics.ts';

/** A bad argument to the public API. `argument` names what to fix; nothing has been changed. */
export class AttentionInputError extends Error {
  constructor(
    readonly argument: string,
    message: string,
  ) {
    super(`${argument}: ${message}`);
    this.name = 'AttentionInputError';
  }
}

/** The GPU could not do the work (device lost, validation error, missing feature). */
export class GpuError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GpuError';
  }
}

/** The GPU compiler rejected code generated from a variant; the diagnostics point at the learner's lines. */
export class VariantGpuError extends GpuError {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map((d) => `line ${d.line}: ${d.message}`).join('\n'));
    this.name = 'VariantGpuError';
  }
}
