// Decode attention: one query per request, fp32, over ragged or paged KV, split across
// workgroups along the keys. Memory-bound: every key and value is read exactly once.
//
// It executes a plan (kernels/plan/): workgroup w runs the work items `indptr[w] .. indptr[w+1]`
// of the list, one after another (a persistent workgroup, as many as the plan has slots). An item
// is a request, a chunk of its keys and HEADS query heads of one KV head's group, so the group's
// heads share each K/V load. Items are listed key chunk by key chunk, head group innermost, so
// workgroups started together read all heads of the same tokens: whole NHD token rows (all KV
// heads side by side) rather than one head's slice of many rows. Its threads
// are KEYS key slots x LANES lanes; a lane reads every LANES-th vec4 of a key row, so the lanes
// of a slot read the row contiguously. Each slot walks its own keys, UNROLL consecutive ones
// per step (all loaded before any is used),
// with its own running max, denominator and output: the only exchange in the loop is summing a
// dot product over the slot's lanes (a subgroup shuffle, or workgroup memory where subgroups are
// missing). At the end the KEYS slot states are merged by log-sum-exp. An item writes its
// normalized output and lse to its slot of `partial` (or straight to `o`/`lse` when it is its
// rows' only item); attention_merge.wgsl combines the slots.

const HEAD_DIM: u32 = 128u;  // specialized
const HEADS: u32 = 4u;       // specialized
// Tokens per page of a paged KV cache; 0 for ragged KV.
const PAGE_SIZE: u32 = 0u;   // specialized
// Lanes per key slot: at most the subgroup size when the lane sum uses subgroup shuffles.
const LANES: u32 = 8u;       // specialized
// 128 threads, or 16 slots of LANES where lanes are few (keeps `reduce` within 8 KiB).
const WORKGROUP_SIZE: u32 = 128u;  // specialized

const KEYS: u32 = WORKGROUP_SIZE / LANES;
const VEC_PER_LANE: u32 = HEAD_DIM / 4u / LANES;
// Keys a slot loads before using any: many loads in flight per thread hide memory latency,
// within a budget of 8 vec4 registers for each of K and V.
const UNROLL: u32 = 8u;      // specialized
// Loops over heads, keys in flight and vec4s marked `// @unroll` are unrolled by the host, so the
// small per-thread arrays they index stay in registers.
const MASKED: f32 = -3.0e38;
const MASK_LIMIT: f32 = -1.0e38;

struct Params {
  num_qo_heads: u32,
  num_kv_heads: u32,
  group: u32,
  causal: u32,
  sm_scale: f32,
  neg_inf_bits: u32,
  kv_starts_offset: u32,
  kv_lens_offset: u32,
  items_offset: u32,       // (request, query row, first head, first key, end key, partial slot or 0xffffffff) per item
  kv_indices_offset: u32,
  indptr_offset: u32,      // workgroup w runs items indptr[w] .. indptr[w+1]
  partial_lse_offset: u32, // where the lse part of `partial` starts
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k: array<vec4f>;
@group(0) @binding(3) var<storage, read> v: array<vec4f>;
@group(0) @binding(4) var<storage, read> batch_info: array<u32>;
@group(0) @binding(5) var<storage, read_write> o: array<f32>;
@group(0) @binding(6) var<storage, read_write> lse: array<f32>;
// Items of split rows: normalized o [slots, HEADS, HEAD_DIM] then lse [slots, HEADS].
@group(0) @binding(9) var<storage, read_write> partial: array<f32>;

var<workgroup> q_tile: array<f32, HEADS * HEAD_DIM>;
var<workgroup> slot_m: array<f32, KEYS>;
var<workgroup> slot_l: array<f32, KEYS>;
var<workgroup> reduce: array<f32, KEYS * HEAD_DIM>;

// @include common

// Defines lane_sums(parts, slot, lane): each head's dot product summed over the slot's lanes.
// @include lane_sums

fn hook_read_q(row: u32, j: i32) -> f32 {
  return q_tile[row * HEAD_DIM + u32(clamp(j, 0i, i32(HEAD_DIM) - 1i))];
}
// @include no_row_hooks

// @hooks

const ITEM_WORDS: u32 = 6u;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) tid: u32) {
  let first = batch_info[params.indptr_offset + wg.x];
  let end = batch_info[params.indptr_offset + wg.x + 1u];
  for (var n = first; n < end; n++) {
    run_item(params.items_offset + ITEM_WORDS * n, tid);
  }
}

fn run_item(item: u32, tid: u32) {
  let request = batch_info[item];
  let qo_row = batch_info[item + 1u];
  let first_head = batch_info[item + 2u];
  let kv_begin = batch_info[item + 3u];
  let kv_end = batch_info[item + 4u];
  let partial_slot = batch_info[item + 5u];
  let kv_head = first_head / params.group;
  let kv_base = batch_info[params.kv_starts_offset + request];
  let kv_len = batch_info[params.kv_lens_offset + request];
  // Decode items are requests with one query (plans give requests without queries no item).
  let qo_len = 1u;
  let slot = tid / LANES;
  let lane = tid % LANES;

  for (var i = tid; i < HEADS * HEAD_DIM; i += WORKGROUP_SIZE) {
    q_tile[i] = q[(qo_row * params.num_qo_heads + first_head) * HEAD_DIM + i];
  }
  if (HAS_QUERY_TRANSFORM) {
    workgroupBarrier();
    var staged: array<f32, HEADS * HEAD_DIM / WORKGROUP_SIZE + 1u>;
    for (var n = 0u; n * WORKGROUP_SIZE < HEADS * HEAD_DIM; n++) {
      let i = tid + n * WORKGROUP_SIZE;
      if (i < HEADS * HEAD_DIM) {
        let h = i / HEAD_DIM;
        let idx = Idx(i32(request), 0, 0, i32(first_head + h), i32(kv_head), i32(qo_len), i32(kv_len));
        staged[n] = query_transform(idx, h, i32(i % HEAD_DIM));
      }
    }
    workgroupBarrier();
    for (var n = 0u; n * WORKGROUP_SIZE < HEADS * HEAD_DIM; n++) {
      let i = tid + n * WORKGROUP_SIZE;
      if (i < HEADS * HEAD_DIM) {
        q_tile[i] = staged[n];
      }
    }
  }
  workgroupBarrier();

  // This lane's slice of each head's query, in registers for the whole loop.
  var q_reg = array<array<vec4f, VEC_PER_LANE>, HEADS>();
  for (var h = 0u; h < HEADS; h++) { // @unroll
    for (var c = 0u; c < VEC_PER_LANE; c++) { // @unroll
      let d = h * HEAD_DIM + 4u * (lane + LANES * c);
      q_reg[h][c] = vec4f(q_tile[d], q_tile[d + 1u], q_tile[d + 2u], q_tile[d + 3u]);
    }
  }
  var m: array<f32, HEADS>;
  var l: array<f32, HEADS>;
  var acc: array<array<vec4f, VEC_PER_LANE>, HEADS>;
  for (var h = 0u; h < HEADS; h++) { // @unroll
    m[h] = MASKED;
  }

  for (var kv0 = kv_begin; kv0 < kv_end; kv0 += KEYS * UNROLL) {
    var k_vec = array<array<vec4f, VEC_PER_LANE>, UNROLL>();
    var v_vec = array<array<vec4f, VEC_PER_LANE>, UNROLL>();
    for (var u = 0u; u < UNROLL; u++) { // @unroll
      let j = kv0 + slot * UNROLL + u;
      if (j < kv_end) {
        let base = (kv_token_row(kv_base, j) * params.num_kv_heads + kv_head) * (HEAD_DIM / 4u);
        for (var c = 0u; c < VEC_PER_LANE; c++) { // @unroll
          k_vec[u][c] = k[base + lane + LANES * c];
          v_vec[u][c] = v[base + lane + LANES * c];
        }
      }
    }
    // Scores of the step's keys, then one running-max update per head for all of them.
    var scores = array<array<f32, UNROLL>, HEADS>();
    for (var u = 0u; u < UNROLL; u++) { // @unroll
      let j = kv0 + slot * UNROLL + u;
      var parts = array<f32, HEADS>();
      for (var h = 0u; h < HEADS; h++) { // @unroll
        for (var c = 0u; c < VEC_PER_LANE; c++) { // @unroll
          parts[h] += dot(q_reg[h][c], k_vec[u][c]);
        }
      }
      let totals = lane_sums(parts, slot, lane);
      for (var h = 0u; h < HEADS; h++) { // @unroll
        var s = MASKED;
        if (j < kv_end) {
          let idx = Idx(i32(request), i32(qo_len) - 1i, i32(j), i32(first_head + h), i32(kv_head), i32(qo_len), i32(kv_len));
          var visible = true;
          if (params.causal != 0u) {
            visible = i32(j) <= idx.qo + idx.kv_len - idx.qo_len;
          }
          if (visible && logits_mask(idx)) {
            s = logits_transform(totals[h] * params.sm_scale, idx);
          }
        }
        scores[h][u] = s;
      }
    }
    for (var h = 0u; h < HEADS; h++) { // @unroll
      if (USE_SOFTMAX) {
        var m_new = m[h];
        for (var u = 0u; u < UNROLL; u++) { // @unroll
          m_new = max(m_new, scores[h][u]);
        }
        let alpha = exp(m[h] - m_new);
        m[h] = m_new;
        l[h] *= alpha;
        for (var c = 0u; c < VEC_PER_LANE; c++) { // @unroll
          acc[h][c] *= alpha;
        }
        for (var u = 0u; u < UNROLL; u++) { // @unroll
          if (scores[h][u] > MASK_LIMIT) {
            let p = exp(scores[h][u] - m_new);
            l[h] += p;
            for (var c = 0u; c < VEC_PER_LANE; c++) { // @unroll
              acc[h][c] += p * v_vec[u][c];
            }
          }
        }
      } else {
        for (var u = 0u; u < UNROLL; u++) { // @unroll
          if (scores[h][u] > MASK_LIMIT) {
            l[h] += 1.0;
            for (var c = 0u; c < VEC_PER_LANE; c++) { // @unroll
              acc[h][c] += scores[h][u] * v_vec[u][c];
            }
          }
        }
      }
    }
  }

  // Merge the slots' states, one head at a time through workgroup memory.
  for (var h = 0u; h < HEADS; h++) { // @unroll
    workgroupBarrier();
    for (var c = 0u; c < VEC_PER_LANE; c++) { // @unroll
      let d = 4u * (lane + LANES * c);
      reduce[slot * HEAD_DIM + d] = acc[h][c].x;
      reduce[slot * HEAD_DIM + d + 1u] = acc[h][c].y;
      reduce[slot * HEAD_DIM + d + 2u] = acc[h][c].z;
      reduce[slot * HEAD_DIM + d + 3u] = acc[h][c].w;
    }
    if (lane == 0u) {
      slot_m[slot] = m[h];
      slot_l[slot] = l[h];
    }
    workgroupBarrier();
    var m_all = MASKED;
    for (var x = 0u; x < KEYS; x++) {
      m_all = max(m_all, slot_m[x]);
    }
    var l_all = 0.0;
    for (var x = 0u; x < KEYS; x++) {
      if (slot_l[x] > 0.0) {
        l_all += select(slot_l[x], slot_l[x] * exp(slot_m[x] - m_all), USE_SOFTMAX);
      }
    }
    let head = first_head + h;
    var row_lse = bitcast<f32>(params.neg_inf_bits);
    if (l_all > 0.0) {
      row_lse = select(0.0, m_all + log(l_all), USE_SOFTMAX);
    }
    for (var d = tid; d < HEAD_DIM; d += WORKGROUP_SIZE) {
      var sum = 0.0;
      for (var x = 0u; x < KEYS; x++) {
        if (slot_l[x] > 0.0) {
          sum += select(1.0, exp(slot_m[x] - m_all), USE_SOFTMAX) * reduce[x * HEAD_DIM + d];
        }
      }
      if (USE_SOFTMAX) {
        sum = select(0.0, sum / l_all, l_all > 0.0);
      }
      if (partial_slot == 0xffffffffu) {
        o[(qo_row * params.num_qo_heads + head) * HEAD_DIM + d] = sum;
      } else {
        partial[(partial_slot * HEADS + h) * HEAD_DIM + d] = sum;
      }
    }
    if (tid == 0u) {
      if (partial_slot == 0xffffffffu) {
        lse[qo_row * params.num_qo_heads + head] = row_lse;
      } else {
        partial[params.partial_lse_offset + partial_slot * HEADS + h] = row_lse;
      }
    }
  }
}
