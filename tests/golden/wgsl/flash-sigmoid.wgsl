const USE_SOFTMAX: bool = false;
const HAS_QUERY_TRANSFORM: bool = false;
const HAS_KEY_TRANSFORM: bool = false;
const HAS_VALUE_TRANSFORM: bool = false;
const HAS_OUTPUT_TRANSFORM: bool = false;

struct HookParams {
  var_scale: f32,
  var_bias: f32,
}
@group(0) @binding(7) var<uniform> hook_params: HookParams;
@group(0) @binding(8) var<storage, read> tensor_words: array<u32>;
fn hook_var_scale() -> f32 { return hook_params.var_scale; }
fn hook_var_bias() -> f32 { return hook_params.var_bias; }

fn logits_transform(v_logit: f32, idx: Idx) -> f32 {
  return (1.0 / (1.0 + exp((-((v_logit * hook_var_scale()) + hook_var_bias()))))); // line 7
}
fn logits_mask(idx: Idx) -> bool {
  return true;
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
