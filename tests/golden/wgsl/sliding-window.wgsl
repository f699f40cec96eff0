const USE_SOFTMAX: bool = true;
const HAS_QUERY_TRANSFORM: bool = false;
const HAS_KEY_TRANSFORM: bool = false;
const HAS_VALUE_TRANSFORM: bool = false;
const HAS_OUTPUT_TRANSFORM: bool = false;

struct HookParams {
  var_window: i32,
}
@group(0) @binding(7) var<uniform> hook_params: HookParams;
@group(0) @binding(8) var<storage, read> tensor_words: array<u32>;
fn hook_var_window() -> i32 { return hook_params.var_window; }

fn logits_transform(v_logit: f32, idx: Idx) -> f32 {
  return v_logit;
}
fn logits_mask(idx: Idx) -> bool {
  var v_pos: i32 = ((idx.qo + idx.kv_len) - idx.qo_len); // line 5
  return ((idx.kv <= v_pos) && ((v_pos - idx.kv) < hook_var_window())); // line 6
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
