/** The public API of the engine. Tests, lessons and the playground import only from here. */
export { createEngine, type Backend, type Engine, type EngineOptions } from './engine.ts';
export { referenceAttention, referenceWeights } from './reference/attention.ts';
export { checkAttentionArgs, causalVisible, kvData, kvRow, type BatchShape } from './formats/ragged.ts';
export { AttentionInputError, GpuError, VariantGpuError } from './errors.ts';
export { plainAttention, raggedKernelSource, RAGGED_TILES } from './gpu/ragged-attention.ts';
export type { PipelineStats } from './gpu/pipelines.ts';
export { compileVariant, type CompiledVariant, type CompileResult, type JsHooks, type RangeReport } from './variant/compile.ts';
export { formatDiagnostic, type Diagnostic } from './variant/diagnostics.ts';
export * from './types.ts';
export { pageBatch, randomBatch, seededRandom, type RandomBatchSpec } from './formats/random.ts';
export { compareArrays, type Comparison } from './reference/compare.ts';
export { BUILTIN_VARIANTS, builtinVariant, type BuiltinVariant } from './variant/builtins.ts';
export { exampleTensors } from './variant/example-inputs.ts';
export { measureReadBandwidth, median } from './gpu/bandwidth.ts';
export { acquireDevice } from './gpu/device.ts';
export { canDecode, decodeHeads, decodeKernelSource, planDecode, DECODE_KEYS, type DecodePlan } from './gpu/decode-attention.ts';
export { PagedAllocator, fullPageHashes, type AllocResult, type AllocatorStats, type CopyEvent, type PageTable } from './serving/paged-allocator.ts';
export { RadixCache, orderByCachedPrefix, type MatchResult, type RadixNode, type RadixStats } from './serving/radix-cache.ts';
