// Lane sums through subgroup shuffles: a slot's LANES lanes are consecutive invocations of one
// subgroup (LANES ≤ the subgroup size), so xor-shuffles over 1, 2, 4, … leave every lane the total.
fn lane_sums(parts: array<f32, HEADS>, slot: u32, lane: u32) -> array<f32, HEADS> {
  var totals = parts;
  for (var h = 0u; h < HEADS; h++) { // @unroll
    if (LANES > 1u) {
      totals[h] += subgroupShuffleXor(totals[h], 1u);
    }
    if (LANES > 2u) {
      totals[h] += subgroupShuffleXor(totals[h], 2u);
    }
    if (LANES > 4u) {
      totals[h] += subgroupShuffleXor(totals[h], 4u);
    }
    if (LANES > 8u) {
      totals[h] += subgroupShuffleXor(totals[h], 8u);
    }
    if (LANES > 16u) {
      totals[h] += subgroupShuffleXor(totals[h], 16u);
    }
  }
  return totals;
}
