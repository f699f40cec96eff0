// The Observable runtime and inspector ship JavaScript without types; these cover what the notebook uses.

declare module '@observablehq/runtime' {
  export interface Observer {
    pending?(): void;
    fulfilled?(value: unknown, name?: string | null): void;
    rejected?(error: unknown, name?: string | null): void;
  }

  export class Variable {
    define(name: string | null, inputs: string[], definition: unknown): Variable;
    define(inputs: string[], definition: unknown): Variable;
    delete(): void;
  }

  export class Module {
    variable(observer?: Observer | boolean): Variable;
    value(name: string): Promise<unknown>;
  }

  export class Runtime {
    /** Each builtin is a constant, or a function called (once) to compute it. */
    constructor(builtins?: Record<string, unknown>, global?: (name: string) => unknown);
    module(): Module;
    dispose(): void;
  }

  export class RuntimeError extends Error {
    /** The input whose failure this error reports, or the undefined name. */
    input?: string;
  }
}

declare module '@observablehq/inspector' {
  export class Inspector {
    constructor(node: Element);
    pending(): void;
    fulfilled(value: unknown, name?: string | null): void;
    rejected(error: unknown, name?: string | null): void;
  }
}
