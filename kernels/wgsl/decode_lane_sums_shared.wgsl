// Lane sums through workgroup memory, for devices without subgroups: two barriers per step.
var<workgroup> lane_parts: array<f32, HEADS * WORKGROUP_SIZE>;

fn lane_sums(parts: array<f32, HEADS>, slot: u32, lane: u32) -> array<f32, HEADS> {
  for (var h = 0u; h < HEADS; h++) { // @unroll
    lane_parts[(h * KEYS + slot) * LANES + lane] = parts[h];
  }
  workgroupBarrier();
  var totals = array<f32, HEADS>();
  for (var h = 0u; h < HEADS; h++) { // @unroll
    for (var x = 0u; x < LANES; x++) {
      totals[h] += lane_parts[(h * KEYS + slot) * LANES + x];
    }
  }
  workgroupBarrier();
  return totals;
}
