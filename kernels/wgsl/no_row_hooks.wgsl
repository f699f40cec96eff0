// For kernels that stage no key, value or output rows for vector hooks: variants with those
// transforms run on attention_ragged.wgsl instead, so these readers are never called.
fn hook_read_k(row: u32, j: i32) -> f32 {
  return 0.0;
}
fn hook_read_v(row: u32, j: i32) -> f32 {
  return 0.0;
}
fn hook_read_o(row: u32, j: i32) -> f32 {
  return 0.0;
}
