import { AttentionInputError } from '../errors.ts';
import type { TensorData } from '../types.ts';
import type { CompiledVariant } from './compile.ts';

export interface VariantInputs {
  vars: Record<string, number>;
  tensors: Record<string, TensorData>;
}

const TENSOR_ARRAYS = { f32: Float32Array, i32: Int32Array, u32: Uint32Array } as const;

/** Checks run-time vars and tensors against what the variant declares; fills var defaults. */
export function resolveVariantInputs(
  variant: CompiledVariant,
  vars: Record<string, number> = {},
  tensors: Record<string, TensorData> = {},
): VariantInputs {
  const declaredVars = variant.ir.vars;
  for (const name of Object.keys(vars)) {
    if (!declaredVars.some((v) => v.name === name)) {
      const known = declaredVars.map((v) => v.name).join(', ') || 'none';
      throw new AttentionInputError(`vars.${name}`, `is not a var of this variant (its vars: ${known})`);
    }
  }
  const values: Record<string, number> = {};
  for (const v of declaredVars) {
    const value = vars[v.name] ?? v.defaultValue;
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new AttentionInputError(`vars.${v.name}`, `must be a finite number, got ${value}`);
    if (v.type !== 'f32' && !Number.isInteger(value)) throw new AttentionInputError(`vars.${v.name}`, `is ${v.type}, so it must be a whole number, got ${value}`);
    if (v.type === 'u32' && value < 0) throw new AttentionInputError(`vars.${v.name}`, `is u32, so it must not be negative, got ${value}`);
    values[v.name] = value;
  }
  const declaredTensors = variant.ir.tensors;
  for (const name of Object.keys(tensors)) {
    if (!declaredTensors.some((t) => t.name === name)) {
      throw new AttentionInputError(`tensors.${name}`, `is not a tensor of this variant (its tensors: ${declaredTensors.map((t) => t.name).join(', ') || 'none'})`);
    }
  }
  const data: Record<string, TensorData> = {};
  for (const t of declaredTensors) {
    const array = tensors[t.name];
    if (array === undefined) throw new AttentionInputError(`tensors.${t.name}`, `is missing; the variant reads it as ${t.type}`);
    if (!(array instanceof TENSOR_ARRAYS[t.type])) {
      throw new AttentionInputError(`tensors.${t.name}`, `must be a ${TENSOR_ARRAYS[t.type].name} (declared '${t.type}')`);
    }
    if (array.length === 0) throw new AttentionInputError(`tensors.${t.name}`, 'is empty; a hook cannot read from it');
    data[t.name] = array;
  }
  return { vars: values, tensors: data };
}
