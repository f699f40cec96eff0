/** The variant IR: what the checker produces from a learner's source and both emitters consume. */

export type ScalarType = 'f32' | 'i32' | 'bool';
export type TensorType = 'f32' | 'i32' | 'u32';

export type Expr =
  | { k: 'num'; value: number; type: 'f32' | 'i32' }
  | { k: 'bool'; value: boolean; type: 'bool' }
  | { k: 'local'; name: string; type: ScalarType }
  | { k: 'param'; name: string; type: ScalarType }
  | { k: 'idx'; field: IdxField; type: 'i32' }
  | { k: 'var'; name: string; type: 'f32' | 'i32' }
  | { k: 'tensor'; name: string; index: Expr; type: 'f32' | 'i32' }
  | { k: 'vecRead'; index: Expr; type: 'f32' }
  | { k: 'const'; name: 'PI' | 'E' | 'HEAD_DIM'; type: 'f32' | 'i32' }
  | { k: 'unary'; op: '-' | '!' | '~'; arg: Expr; type: ScalarType }
  | { k: 'binary'; op: BinaryOp; left: Expr; right: Expr; type: ScalarType }
  | { k: 'logical'; op: '&&' | '||'; left: Expr; right: Expr; type: 'bool' }
  | { k: 'cond'; test: Expr; then: Expr; else: Expr; type: ScalarType }
  | { k: 'math'; fn: string; args: Expr[]; type: ScalarType }
  | { k: 'call'; fn: string; args: Expr[]; type: ScalarType }
  | { k: 'convert'; arg: Expr; type: 'f32' | 'i32' };

export type BinaryOp =
  | '+' | '-' | '*' | '/' | '%' | '**'
  | '<' | '<=' | '>' | '>=' | '==' | '!='
  | '&' | '|' | '^' | '<<' | '>>';

/** `line` is the learner's source line, carried into generated code to map GPU errors back. */
export type Stmt = { line?: number } & (
  | { k: 'let'; name: string; init: Expr; type: ScalarType }
  | { k: 'assign'; name: string; value: Expr }
  | { k: 'if'; test: Expr; then: Stmt[]; else: Stmt[] }
  | { k: 'for'; name: string; from: number; to: number; step: number; body: Stmt[] }
  | { k: 'return'; value: Expr }
  | { k: 'break' }
  | { k: 'continue' }
);

export const IDX_FIELDS = ['batch', 'qo', 'kv', 'qoHead', 'kvHead', 'qoLen', 'kvLen'] as const;
export type IdxField = (typeof IDX_FIELDS)[number];

export type ScalarHookName = 'logitsTransform' | 'logitsMask';
export type VectorHookName = 'queryTransform' | 'keyTransform' | 'valueTransform' | 'outputTransform';
export type HookName = ScalarHookName | VectorHookName;

/** A hook as a function body. Vector hooks are element-wise: `body` computes element `dim` of the result. */
export interface HookIR {
  name: HookName;
  /** Names the learner gave the parameters, in order (the first is `logit`/the vector, the last `idx`). */
  params: string[];
  body: Stmt[];
  returnType: ScalarType;
  /** Vector hooks: the element variable and dimension names of `v.map((x, d) => ...)`. */
  element?: { value: string; dim: string };
}

export interface HelperIR {
  name: string;
  params: { name: string; type: ScalarType }[];
  body: Stmt[];
  returnType: ScalarType;
}

export interface VariantIR {
  useSoftmax: boolean;
  /** Undefined: 1/sqrt(headDim). */
  smScale: number | undefined;
  vars: { name: string; type: 'f32' | 'i32' | 'u32'; defaultValue: number }[];
  tensors: { name: string; type: TensorType }[];
  helpers: HelperIR[];
  hooks: Partial<Record<HookName, HookIR>>;
}
