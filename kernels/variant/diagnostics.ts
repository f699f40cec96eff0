/** A problem in a learner's variant source: where, and a sentence saying what to change. */
export interface Diagnostic {
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  endLine: number;
  endColumn: number;
  message: string;
}

export interface SourceNode {
  loc?: { start: { line: number; column: number }; end: { line: number; column: number } } | null;
}

/** Thrown inside the checker to abandon one hook; collected into the result, never escapes compileVariant. */
export class VariantError extends Error {
  constructor(
    readonly node: SourceNode | undefined,
    message: string,
  ) {
    super(message);
  }

  toDiagnostic(): Diagnostic {
    const loc = this.node?.loc;
    return {
      line: loc?.start.line ?? 1,
      column: (loc?.start.column ?? 0) + 1,
      endLine: loc?.end.line ?? loc?.start.line ?? 1,
      endColumn: (loc?.end.column ?? loc?.start.column ?? 0) + 1,
      message: this.message,
    };
  }
}

export function formatDiagnostic(d: Diagnostic): string {
  return `line ${d.line}, column ${d.column}: ${d.message}`;
}
