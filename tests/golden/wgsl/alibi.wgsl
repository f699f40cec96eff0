const USE_SOFTMAX: bool = true;
const HAS_QUERY_TRANSFORM: bool = false;
const HAS_KEY_TRANSFORM: bool = false;
const HAS_VALUE_TRANSFORM: bool = false;
const HAS_OUTPUT_TRANSFORM: bool = false;

struct HookParams {
  tensor_slopes_offset: u32,
  tensor_slopes_length: u32,
}
@group(0) @binding(7) var<uniform> hook_params: HookParams;
@group(0) @binding(8) var<storage, read> tensor_words: array<u32>;
fn tensor_slopes(i: i32) -> f32 { return bitcast<f32>(tensor_words[hook_params.tensor_slopes_offset + u32(clamp(i, 0i, i32(hook_params.tensor_slopes_length) - 1i))]); }

fn logits_transform(v_logit: f32, idx: Idx) -> f32 {
  var v_distance: i32 = (((idx.qo + idx.kv_len) - idx.qo_len) - idx.kv); // line 6
  return (v_logit - (tensor_slopes(idx.qo_head) * f32(v_distance))); // line 7
}
fn logits_mask(idx: Idx) -> bool {
  return (idx.kv <= ((idx.qo + idx.kv_len) - idx.qo_len)); // line 11
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
