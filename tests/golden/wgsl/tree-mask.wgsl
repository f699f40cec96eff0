const USE_SOFTMAX: bool = true;
const HAS_QUERY_TRANSFORM: bool = false;
const HAS_KEY_TRANSFORM: bool = false;
const HAS_VALUE_TRANSFORM: bool = false;
const HAS_OUTPUT_TRANSFORM: bool = false;

struct HookParams {
  tensor_maskBits_offset: u32,
  tensor_maskBits_length: u32,
  tensor_maskBitOffset_offset: u32,
  tensor_maskBitOffset_length: u32,
}
@group(0) @binding(7) var<uniform> hook_params: HookParams;
@group(0) @binding(8) var<storage, read> tensor_words: array<u32>;
fn tensor_maskBits(i: i32) -> i32 { return bitcast<i32>(tensor_words[hook_params.tensor_maskBits_offset + u32(clamp(i, 0i, i32(hook_params.tensor_maskBits_length) - 1i))]); }
fn tensor_maskBitOffset(i: i32) -> i32 { return bitcast<i32>(tensor_words[hook_params.tensor_maskBitOffset_offset + u32(clamp(i, 0i, i32(hook_params.tensor_maskBitOffset_length) - 1i))]); }

fn logits_transform(v_logit: f32, idx: Idx) -> f32 {
  return v_logit;
}
fn logits_mask(idx: Idx) -> bool {
  var v_bit: i32 = ((tensor_maskBitOffset(idx.batch) + (idx.qo * idx.kv_len)) + idx.kv); // line 7
  return (((tensor_maskBits((v_bit >> u32(5i & 31i))) >> u32((v_bit & 31i) & 31i)) & 1i) == 1i); // line 8
}
fn query_transform(idx: Idx, row: u32, v_dim: i32) -> f32 {
  return hook_read_q(row, v_dim);
}
fn key_transform(idx: Idx, row: u32, v_dim: i32) -> f32 {
  return hook_read_k(row, v_dim);
}
fn value_transform(idx: Idx, row: u32, v_dim: i32) -> f32 {
  return hook_read_v(row, v_dim);
}
fn output_transform(idx: Idx, row: u32, v_dim: i32) -> f32 {
  return hook_read_o(row, v_dim);
}
