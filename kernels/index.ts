/** The public API of the engine. Tests, lessons and the playground import only from here. */
export { createEngine, type Backend, type Engine, type EngineOptions } from './engine.ts';
export { referenceAttention, referenceWeights } from './reference/attention.ts';
export { checkAttentionArgs, causalVisible, kvData, kvRow, type BatchShape } from './formats/ragged.ts';
export { AttentionInputError, GpuError, VariantGpuError } from './errors.ts';
export { plainAttention, raggedKernelSource, RAGGED_TILES, type PipelineStats } from './gpu/ragged-attention.ts';
export { compileVariant, type CompiledVariant, type CompileResult, type JsHooks, type RangeReport } from './variant/compile.ts';
export { formatDiagnostic, type Diagnostic } from './variant/diagnostics.ts';
export * from './types.ts';
export { pageBatch, randomBatch, seededRandom, type RandomBatchSpec } from './formats/random.ts';
export { compareArrays, type Comparison } from './reference/compare.ts';
export { BUILTIN_VARIANTS, builtinVariant, type BuiltinVariant } from './variant/builtins.ts';
export { exampleTensors } from './variant/example-inputs.ts';
export { measureReadBandwidth, median } from './gpu/bandwidth.ts';
export { acquireDevice } from './gpu/device.ts';
