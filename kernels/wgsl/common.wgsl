// Shared by the attention templates (included at their `// @include common` line). Expects the
// including template to declare PAGE_SIZE, `batch_info` and `params.kv_indices_offset`.

/** Positions within the request, as the variant's hooks see them. */
struct Idx {
  batch: i32,
  qo: i32,
  kv: i32,
  qo_head: i32,
  kv_head: i32,
  qo_len: i32,
  kv_len: i32,
}

/** The token row of key `j` of a request whose keys start at `kv_base`: through the page table when paged. */
fn kv_token_row(kv_base: u32, j: u32) -> u32 {
  if (PAGE_SIZE > 0u) {
    let page = batch_info[params.kv_indices_offset + kv_base + j / max(PAGE_SIZE, 1u)];
    return page * PAGE_SIZE + j % max(PAGE_SIZE, 1u);
  }
  return kv_base + j;
}
