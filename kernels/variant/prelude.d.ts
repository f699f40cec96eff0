// Types a variant is written against, for the editor's completions and hovers. The variant
// compiler is what checks a variant; it knows these names natively.

/** A whole number (signed 32-bit on the GPU). At run time it is an ordinary JS number. */
type i32 = number;
/** A whole number ≥ 0; read by hooks as i32. */
type u32 = number;
/** A 32-bit float on the GPU, a float64 in the CPU reference. */
type f32 = number;

/** Where a score is: positions within the request, and heads. */
interface Idx {
  /** Request number in the batch. */
  readonly batch: i32;
  /** Query position within the request (0 … qoLen-1). */
  readonly qo: i32;
  /** Key position within the request (0 … kvLen-1). */
  readonly kv: i32;
  readonly qoHead: i32;
  /** qoHead / (numQoHeads / numKvHeads). */
  readonly kvHead: i32;
  /** Queries of this request. */
  readonly qoLen: i32;
  /** Keys of this request (the whole cache, for decode and append). */
  readonly kvLen: i32;
}

/** What vector hooks see: queryTransform/outputTransform have no `kv`; keyTransform/valueTransform no `qo`, `qoHead`. */
type HeadIdx = Idx;

/** One head's vector (headDim elements). Read `v[i]`; build a new one with `v.map((x, d) => ...)`. */
interface Vec {
  readonly [dim: number]: number;
  map(element: (x: number, dim: i32) => number): Vec;
}

/** The head dimension the kernel was specialized for (64 or 128). */
declare const HEAD_DIM: i32;
