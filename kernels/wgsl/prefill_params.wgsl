// Parameters of the prefill kernels (attention_ragged.wgsl, attention_prefill_tiled.wgsl): the
// host writes one layout for both (gpu/ragged-attention.ts).
struct Params {
  num_qo_heads: u32,
  num_kv_heads: u32,
  group: u32,               // query heads per KV head
  causal: u32,
  sm_scale: f32,
  neg_inf_bits: u32,        // the bits of -inf, written as the lse of a row that sees no key
  kv_starts_offset: u32,    // where each request's first token row (ragged) or kvIndices entry (paged) is
  kv_lens_offset: u32,      // where each request's number of keys is
  tiles_offset: u32,        // where the (request, first query row) tile table is
  kv_indices_offset: u32,   // where the page numbers are (paged)
  // Listed tiles (attention_prefill_tiled.wgsl with LISTED, e.g. block-sparse runs):
  lists_offset: u32,        // where each (item, head slot)'s (first entry, entry count) pair is
  list_heads: u32,          // head slots per item: 1 (every head walks the same list) or num_qo_heads
  partial_lse_offset: u32,  // where the lse part of `partial` starts
}
