// The contraction: merges the partial states of a row's KV chunks into its output.
// A merge is (output row, first query head, first slot, slot count): slots first .. first+count
// of `partial` each hold PART_HEADS heads' states, and head h of them merges into query head
// first head + h × out_head_stride of the output row (stride 1, or the GQA group when the parts
// come from a level that folded a group's query heads into rows). With softmax, partial i holds its normalized output o_i and lse_i; the merged state is
//   lse = log Σ exp(lse_i),   o = Σ exp(lse_i - lse) · o_i
// computed against the largest lse_i so nothing overflows. A chunk that saw no key has
// lse_i = -inf and weight 0; if every chunk is empty, o = 0 and lse = -inf.
// Without softmax (USE_SOFTMAX false) outputs are plain sums, and lse is 0 if any chunk saw a key.
// With include_output, the row's current o and lse count as one more part (cascade attention: the
// per-request level writes the output, then the shared level's parts merge into it).

const HEAD_DIM: u32 = 128u;   // specialized
const USE_SOFTMAX: u32 = 1u;  // specialized

struct Params {
  num_qo_heads: u32,
  merges_offset: u32,       // (output row, first query head, first slot, slot count) per merge in `batch_info`
  partial_lse_offset: u32,  // partial: o [slots, part_heads, HEAD_DIM], then lse [slots, part_heads]
  neg_inf_bits: u32,
  part_heads: u32,
  include_output: u32,
  out_head_stride: u32,     // slot head h merges into query head first head + h × stride (GQA-folded parts)
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> batch_info: array<u32>;
@group(0) @binding(2) var<storage, read> partial: array<f32>;
@group(0) @binding(3) var<storage, read_write> o: array<f32>;
@group(0) @binding(4) var<storage, read_write> lse: array<f32>;

@compute @workgroup_size(HEAD_DIM)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) d: u32) {
  let merge = params.merges_offset + 4u * wg.x;
  let out_row = batch_info[merge];
  let first_head = batch_info[merge + 1u];
  let first = batch_info[merge + 2u];
  let count = batch_info[merge + 3u];
  let head = wg.y;
  let neg_inf = bitcast<f32>(params.neg_inf_bits);

  let out = out_row * params.num_qo_heads + first_head + head * params.out_head_stride;
  var any = false;
  var max_lse = -3.0e38;
  var own_lse = -3.0e38;
  var own_o = 0.0;
  if (params.include_output != 0u) {
    own_lse = lse[out];
    own_o = o[out * HEAD_DIM + d];
    if (own_lse > -1.0e38) {
      any = true;
      max_lse = own_lse;
    }
    // Every lane has read the row before lane 0 overwrites its lse.
    workgroupBarrier();
  }
  for (var i = 0u; i < count; i++) {
    let part = partial[params.partial_lse_offset + (first + i) * params.part_heads + head];
    if (part > -1.0e38) {
      any = true;
      max_lse = max(max_lse, part);
    }
  }
  var sum = 0.0;
  var weight_sum = 0.0;
  if (own_lse > -1.0e38) {
    var w = 1.0;
    if (USE_SOFTMAX != 0u) {
      w = exp(own_lse - max_lse);
    }
    weight_sum = w;
    sum = w * own_o;
  }
  for (var i = 0u; i < count; i++) {
    let row = (first + i) * params.part_heads + head;
    let part = partial[params.partial_lse_offset + row];
    if (part > -1.0e38) {
      var w = 1.0;
      if (USE_SOFTMAX != 0u) {
        w = exp(part - max_lse);
      }
      weight_sum += w;
      sum += w * partial[row * HEAD_DIM + d];
    }
  }
  if (USE_SOFTMAX != 0u) {
    o[out * HEAD_DIM + d] = select(0.0, sum / weight_sum, any);
    if (d == 0u) {
      lse[out] = select(neg_inf, max_lse + log(weight_sum), any);
    }
  } else {
    o[out * HEAD_DIM + d] = sum;
    if (d == 0u) {
      lse[out] = select(neg_inf, 0.0, any);
    }
  }
}
