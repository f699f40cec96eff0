const USE_SOFTMAX: bool = true;
const HAS_QUERY_TRANSFORM: bool = true;
const HAS_KEY_TRANSFORM: bool = true;
const HAS_VALUE_TRANSFORM: bool = false;
const HAS_OUTPUT_TRANSFORM: bool = false;

struct HookParams {
  var_base: f32,
}
@group(0) @binding(7) var<uniform> hook_params: HookParams;
@group(0) @binding(8) var<storage, read> tensor_words: array<u32>;
fn hook_var_base() -> f32 { return hook_params.var_base; }

fn u_angle(v_pos: i32, v_d: i32) -> f32 {
  var v_half: i32 = (i32(HEAD_DIM) >> u32(1i & 31i)); // line 6
  return (f32(v_pos) * pow(hook_var_base(), (f32(((-2i) * (v_d % v_half))) / f32(i32(HEAD_DIM))))); // line 7
}
fn logits_transform(v_logit: f32, idx: Idx) -> f32 {
  return v_logit;
}
fn logits_mask(idx: Idx) -> bool {
  return (idx.kv <= ((idx.qo + idx.kv_len) - idx.qo_len)); // line 28
}
fn query_transform(idx: Idx, row: u32, v_d: i32) -> f32 {
  var v_pos: i32 = ((idx.qo + idx.kv_len) - idx.qo_len); // line 11
  var v_half: i32 = (i32(HEAD_DIM) >> u32(1i & 31i)); // line 12
  var v_x: f32 = hook_read_q(row, v_d);
  var v_theta: f32 = u_angle(v_pos, v_d); // line 14
  return select(((v_x * cos(v_theta)) + (hook_read_q(row, (v_d - v_half)) * sin(v_theta))), ((v_x * cos(v_theta)) - (hook_read_q(row, (v_d + v_half)) * sin(v_theta))), (v_d < v_half)); // line 15
}
fn key_transform(idx: Idx, row: u32, v_d: i32) -> f32 {
  var v_half: i32 = (i32(HEAD_DIM) >> u32(1i & 31i)); // line 20
  var v_x: f32 = hook_read_k(row, v_d);
  var v_theta: f32 = u_angle(idx.kv, v_d); // line 22
  return select(((v_x * cos(v_theta)) + (hook_read_k(row, (v_d - v_half)) * sin(v_theta))), ((v_x * cos(v_theta)) - (hook_read_k(row, (v_d + v_half)) * sin(v_theta))), (v_d < v_half)); // line 23
}
fn value_transform(idx: Idx, row: u32, v_dim: i32) -> f32 {
  return hook_read_v(row, v_dim);
}
fn output_transform(idx: Idx, row: u32, v_dim: i32) -> f32 {
  return hook_read_o(row, v_dim);
}
