// Decode attention: one query per request, fp32, over ragged or paged KV, split across
// workgroups along the keys. Memory-bound: every key and value is read exactly once.
//
// A workgroup takes one work item (a request and a chunk of its keys) for one KV head and
// HEADS query heads of its group, so the group's heads share each K/V load. Its 128 threads
// are KEYS (16) key slots x LANES (8) lanes; a lane reads every LANES-th vec4 of a key row,
// so the 8 lanes of a key read it contiguously. Per step of 16 keys: partial dot products
// (registers) -> one score per (head, key) (workgroup memory) -> every thread updates the
// running max and its own slice of the output for its key. At the end the 16 key slots are
// summed. A chunk writes its normalized output and lse to `partial` (or straight to `o`/`lse`
// when it is its request's only chunk); attention_merge.wgsl combines the chunks.

const HEAD_DIM: u32 = 128u;  // specialized
const HEADS: u32 = 4u;       // specialized
// Tokens per page of a paged KV cache; 0 for ragged KV.
const PAGE_SIZE: u32 = 0u;   // specialized

const KEYS: u32 = 16u;
const LANES: u32 = 8u;
const WORKGROUP_SIZE: u32 = KEYS * LANES;
const VEC_PER_LANE: u32 = HEAD_DIM / 4u / LANES;
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
  items_offset: u32,       // (request, first key, end key, partial row or 0xffffffff) per item
  kv_indices_offset: u32,
  qo_indptr_offset: u32,
  partial_lse_offset: u32, // where the lse part of `partial` starts
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k: array<vec4f>;
@group(0) @binding(3) var<storage, read> v: array<vec4f>;
@group(0) @binding(4) var<storage, read> batch_info: array<u32>;
@group(0) @binding(5) var<storage, read_write> o: array<f32>;
@group(0) @binding(6) var<storage, read_write> lse: array<f32>;
// Chunks of split requests: normalized o [rows, numQoHeads, HEAD_DIM] then lse [rows, numQoHeads].
@group(0) @binding(9) var<storage, read_write> partial: array<f32>;

var<workgroup> q_tile: array<f32, HEADS * HEAD_DIM>;
var<workgroup> dots: array<f32, HEADS * KEYS * LANES>;
var<workgroup> scores: array<f32, HEADS * KEYS>;
var<workgroup> reduce: array<f32, KEYS * HEAD_DIM>;
var<workgroup> reduce_l: array<f32, KEYS>;

// @include common

fn hook_read_q(row: u32, j: i32) -> f32 {
  return q_tile[row * HEAD_DIM + u32(clamp(j, 0i, i32(HEAD_DIM) - 1i))];
}
// Variants with key, value or output transforms run on the prefill kernel instead.
fn hook_read_k(row: u32, j: i32) -> f32 {
  return 0.0;
}
fn hook_read_v(row: u32, j: i32) -> f32 {
  return 0.0;
}
fn hook_read_o(row: u32, j: i32) -> f32 {
  return 0.0;
}

// @hooks

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) tid: u32) {
  let item = params.items_offset + 4u * wg.x;
  let request = batch_info[item];
  let kv_begin = batch_info[item + 1u];
  let kv_end = batch_info[item + 2u];
  let partial_row = batch_info[item + 3u];
  let first_head = wg.y * HEADS;
  let kv_head = first_head / params.group;
  let kv_base = batch_info[params.kv_starts_offset + request];
  let kv_len = batch_info[params.kv_lens_offset + request];
  let qo_row = batch_info[params.qo_indptr_offset + request];
  let qo_len = batch_info[params.qo_indptr_offset + request + 1u] - qo_row;
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

  var m: array<f32, HEADS>;
  var l: array<f32, HEADS>;
  var acc: array<array<vec4f, VEC_PER_LANE>, HEADS>;
  for (var h = 0u; h < HEADS; h++) {
    m[h] = MASKED;
  }

  for (var kv0 = kv_begin; kv0 < kv_end; kv0 += KEYS) {
    let j = kv0 + slot;
    let valid = j < kv_end;
    var kv_vec: array<vec4f, VEC_PER_LANE>;
    var v_vec: array<vec4f, VEC_PER_LANE>;
    if (valid) {
      let base = (kv_token_row(kv_base, j) * params.num_kv_heads + kv_head) * (HEAD_DIM / 4u);
      for (var c = 0u; c < VEC_PER_LANE; c++) {
        kv_vec[c] = k[base + lane + LANES * c];
        v_vec[c] = v[base + lane + LANES * c];
      }
    }
    for (var h = 0u; h < HEADS; h++) {
      var part = 0.0;
      for (var c = 0u; c < VEC_PER_LANE; c++) {
        let d = 4u * (lane + LANES * c);
        let qv = vec4f(q_tile[h * HEAD_DIM + d], q_tile[h * HEAD_DIM + d + 1u], q_tile[h * HEAD_DIM + d + 2u], q_tile[h * HEAD_DIM + d + 3u]);
        part += dot(qv, kv_vec[c]);
      }
      dots[(h * KEYS + slot) * LANES + lane] = part;
    }
    workgroupBarrier();
    if (lane < HEADS) {
      let h = lane;
      var s = MASKED;
      if (valid) {
        var total = 0.0;
        for (var x = 0u; x < LANES; x++) {
          total += dots[(h * KEYS + slot) * LANES + x];
        }
        let idx = Idx(i32(request), i32(qo_len) - 1i, i32(j), i32(first_head + h), i32(kv_head), i32(qo_len), i32(kv_len));
        var visible = true;
        if (params.causal != 0u) {
          visible = i32(j) <= idx.qo + idx.kv_len - idx.qo_len;
        }
        if (visible && logits_mask(idx)) {
          s = logits_transform(total * params.sm_scale, idx);
        }
      }
      scores[h * KEYS + slot] = s;
    }
    workgroupBarrier();
    for (var h = 0u; h < HEADS; h++) {
      let s = scores[h * KEYS + slot];
      var p = 0.0;
      if (USE_SOFTMAX) {
        var tile_max = MASKED;
        for (var x = 0u; x < KEYS; x++) {
          tile_max = max(tile_max, scores[h * KEYS + x]);
        }
        let m_new = max(m[h], tile_max);
        let alpha = exp(m[h] - m_new);
        m[h] = m_new;
        if (s > MASK_LIMIT) {
          p = exp(s - m_new);
        }
        l[h] = l[h] * alpha + p;
        for (var c = 0u; c < VEC_PER_LANE; c++) {
          acc[h][c] = acc[h][c] * alpha + p * v_vec[c];
        }
      } else {
        if (s > MASK_LIMIT) {
          p = s;
          l[h] += 1.0;
        }
        for (var c = 0u; c < VEC_PER_LANE; c++) {
          acc[h][c] += p * v_vec[c];
        }
      }
    }
  }

  // Sum the 16 key slots: one head at a time through workgroup memory.
  for (var h = 0u; h < HEADS; h++) {
    workgroupBarrier();
    for (var c = 0u; c < VEC_PER_LANE; c++) {
      let d = 4u * (lane + LANES * c);
      reduce[slot * HEAD_DIM + d] = acc[h][c].x;
      reduce[slot * HEAD_DIM + d + 1u] = acc[h][c].y;
      reduce[slot * HEAD_DIM + d + 2u] = acc[h][c].z;
      reduce[slot * HEAD_DIM + d + 3u] = acc[h][c].w;
    }
    if (lane == 0u) {
      reduce_l[slot] = l[h];
    }
    workgroupBarrier();
    var l_sum = 0.0;
    for (var x = 0u; x < KEYS; x++) {
      l_sum += reduce_l[x];
    }
    let head = first_head + h;
    var scale = 1.0;
    var row_lse = bitcast<f32>(params.neg_inf_bits);
    if (l_sum > 0.0) {
      if (USE_SOFTMAX) {
        scale = 1.0 / l_sum;
        row_lse = m[h] + log(l_sum);
      } else {
        row_lse = 0.0;
      }
    }
    for (var d = tid; d < HEAD_DIM; d += WORKGROUP_SIZE) {
      var sum = 0.0;
      for (var x = 0u; x < KEYS; x++) {
        sum += reduce[x * HEAD_DIM + d];
      }
      if (partial_row == 0xffffffffu) {
        o[(qo_row * params.num_qo_heads + head) * HEAD_DIM + d] = sum * scale;
      } else {
        partial[(partial_row * params.num_qo_heads + head) * HEAD_DIM + d] = sum * scale;
      }
    }
    if (tid == 0u) {
      if (partial_row == 0xffffffffu) {
        lse[qo_row * params.num_qo_heads + head] = row_lse;
      } else {
        partial[params.partial_lse_offset + partial_row * params.num_qo_heads + head] = row_lse;
      }
    }
  }
}
