// Batched attention over ragged (packed) queries and keys, or a paged KV cache, fp32,
// specialized by a variant.
//
// One workgroup computes one tile of TILE_Q query rows of one request for one query head.
// It walks the request's keys TILE_K at a time: stage K, score, stage V (into the same
// workgroup buffer), fold the tile into a running max `m`, denominator `l` and output `acc`.
// Each query row is owned by THREADS_PER_ROW threads; each thread keeps HEAD_DIM /
// THREADS_PER_ROW output dimensions (interleaved, so neighbouring threads touch neighbouring
// words). Tile sizes are chosen by the host so the footprint fits WebGPU's default 16 KiB.
//
// The variant's hooks (see kernels/variant/) are included at the `// @hooks` line; the
// `const` lines marked `specialized` are replaced by the host. This file compiles on its own
// only after the host has done both.

const HEAD_DIM: u32 = 64u;        // specialized
const TILE_Q: u32 = 16u;          // specialized
const TILE_K: u32 = 32u;          // specialized
const THREADS_PER_ROW: u32 = 8u;  // specialized
// Tokens per page of a paged KV cache; 0 for ragged KV.
const PAGE_SIZE: u32 = 0u;        // specialized

const WORKGROUP_SIZE: u32 = TILE_Q * THREADS_PER_ROW;
const DIMS_PER_THREAD: u32 = HEAD_DIM / THREADS_PER_ROW;
const SCORES_PER_THREAD: u32 = TILE_K / THREADS_PER_ROW;
const Q_PER_THREAD: u32 = TILE_Q * HEAD_DIM / WORKGROUP_SIZE;
const KV_PER_THREAD: u32 = TILE_K * HEAD_DIM / WORKGROUP_SIZE;
// One padding word per staged key row spreads a column of the tile over all memory banks.
const KV_STRIDE: u32 = HEAD_DIM + 1u;
// WGSL has no infinite constants and lets compilers assume none occur, so a masked score is
// this finite value and anything at or below MASK_LIMIT counts as masked (weight exactly 0).
const MASKED: f32 = -3.0e38;
const MASK_LIMIT: f32 = -1.0e38;

// @include prefill_params

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;      // [totalQo, numQoHeads, HEAD_DIM]
@group(0) @binding(2) var<storage, read> k: array<f32>;      // token rows [rows, numKvHeads, HEAD_DIM]
@group(0) @binding(3) var<storage, read> v: array<f32>;      // (ragged: packed; paged: [page, slot] rows)
@group(0) @binding(4) var<storage, read> batch_info: array<u32>;  // qoIndptr | kvStarts | kvLens | tiles | kvIndices
@group(0) @binding(5) var<storage, read_write> o: array<f32>;     // [totalQo, numQoHeads, HEAD_DIM]
@group(0) @binding(6) var<storage, read_write> lse: array<f32>;   // [totalQo, numQoHeads]

// @include common

// Query rows; after the key loop, output rows (for the output transform).
var<workgroup> q_tile: array<f32, TILE_Q * HEAD_DIM>;
var<workgroup> kv_tile: array<f32, TILE_K * KV_STRIDE>;
var<workgroup> scores: array<f32, TILE_Q * TILE_K>;

// What vector hooks read: element j (clamped to the head) of a staged row.
fn hook_read_q(row: u32, j: i32) -> f32 {
  return q_tile[row * HEAD_DIM + u32(clamp(j, 0i, i32(HEAD_DIM) - 1i))];
}
fn hook_read_o(row: u32, j: i32) -> f32 {
  return hook_read_q(row, j);
}
fn hook_read_k(row: u32, j: i32) -> f32 {
  return kv_tile[row * KV_STRIDE + u32(clamp(j, 0i, i32(HEAD_DIM) - 1i))];
}
fn hook_read_v(row: u32, j: i32) -> f32 {
  return hook_read_k(row, j);
}

// @hooks

struct Tile {
  request: u32,
  qo_start: u32,
  qo_head: u32,
  kv_head: u32,
  qo_base: u32,
  qo_len: u32,
  kv_base: u32,
  kv_len: u32,
}

fn row_idx(tile: Tile, row: u32, kv: u32) -> Idx {
  return Idx(i32(tile.request), i32(tile.qo_start + row), i32(kv), i32(tile.qo_head), i32(tile.kv_head), i32(tile.qo_len), i32(tile.kv_len));
}

fn stage_kv(tid: u32, tile: Tile, use_v: bool, kv0: u32) {
  for (var i = tid; i < TILE_K * HEAD_DIM; i += WORKGROUP_SIZE) {
    let c = i / HEAD_DIM;
    let d = i % HEAD_DIM;
    var x = 0.0;
    if (kv0 + c < tile.kv_len) {
      let at = (kv_token_row(tile.kv_base, kv0 + c) * params.num_kv_heads + tile.kv_head) * HEAD_DIM + d;
      if (use_v) {
        x = v[at];
      } else {
        x = k[at];
      }
    }
    kv_tile[c * KV_STRIDE + d] = x;
  }
  let has_transform = (use_v && HAS_VALUE_TRANSFORM) || (!use_v && HAS_KEY_TRANSFORM);
  if (has_transform) {
    // Hooks read neighbouring elements of the raw row: compute everything, then overwrite.
    workgroupBarrier();
    var staged: array<f32, KV_PER_THREAD>;
    for (var n = 0u; n < KV_PER_THREAD; n++) {
      let i = tid + n * WORKGROUP_SIZE;
      let c = i / HEAD_DIM;
      let idx = row_idx(tile, 0u, kv0 + c);
      if (use_v) {
        staged[n] = value_transform(idx, c, i32(i % HEAD_DIM));
      } else {
        staged[n] = key_transform(idx, c, i32(i % HEAD_DIM));
      }
    }
    workgroupBarrier();
    for (var n = 0u; n < KV_PER_THREAD; n++) {
      let i = tid + n * WORKGROUP_SIZE;
      kv_tile[(i / HEAD_DIM) * KV_STRIDE + i % HEAD_DIM] = staged[n];
    }
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) tid: u32) {
  var tile: Tile;
  tile.request = batch_info[params.tiles_offset + 2u * wg.x];
  tile.qo_start = batch_info[params.tiles_offset + 2u * wg.x + 1u];
  tile.qo_head = wg.y;
  tile.kv_head = wg.y / params.group;
  tile.qo_base = batch_info[tile.request];
  tile.qo_len = batch_info[tile.request + 1u] - tile.qo_base;
  tile.kv_base = batch_info[params.kv_starts_offset + tile.request];
  tile.kv_len = batch_info[params.kv_lens_offset + tile.request];

  let row = tid / THREADS_PER_ROW;
  let lane = tid % THREADS_PER_ROW;
  let qo = tile.qo_start + row;
  let row_valid = qo < tile.qo_len;
  // Bottom-right aligned causal rule: row qo sees kv <= qo + kv_len - qo_len.
  let causal_last = i32(qo) + i32(tile.kv_len) - i32(tile.qo_len);

  for (var i = tid; i < TILE_Q * HEAD_DIM; i += WORKGROUP_SIZE) {
    let r = i / HEAD_DIM;
    var x = 0.0;
    if (tile.qo_start + r < tile.qo_len) {
      x = q[((tile.qo_base + tile.qo_start + r) * params.num_qo_heads + tile.qo_head) * HEAD_DIM + i % HEAD_DIM];
    }
    q_tile[i] = x;
  }
  if (HAS_QUERY_TRANSFORM) {
    workgroupBarrier();
    var staged: array<f32, Q_PER_THREAD>;
    for (var n = 0u; n < Q_PER_THREAD; n++) {
      let i = tid + n * WORKGROUP_SIZE;
      staged[n] = query_transform(row_idx(tile, i / HEAD_DIM, 0u), i / HEAD_DIM, i32(i % HEAD_DIM));
    }
    workgroupBarrier();
    for (var n = 0u; n < Q_PER_THREAD; n++) {
      q_tile[tid + n * WORKGROUP_SIZE] = staged[n];
    }
  }

  // Keys past the last row's causal limit are invisible to the whole tile: skip their tiles.
  var kv_end = tile.kv_len;
  if (params.causal != 0u) {
    let rows_end = min(tile.qo_start + TILE_Q, tile.qo_len);
    kv_end = u32(clamp(i32(rows_end) + i32(tile.kv_len) - i32(tile.qo_len), 0, i32(tile.kv_len)));
  }

  var m = MASKED;
  var l = 0.0;  // softmax denominator; without softmax, the number of visible keys
  var acc: array<f32, DIMS_PER_THREAD>;

  for (var kv0 = 0u; kv0 < kv_end; kv0 += TILE_K) {
    workgroupBarrier();
    stage_kv(tid, tile, false, kv0);
    workgroupBarrier();

    for (var j = 0u; j < SCORES_PER_THREAD; j++) {
      let c = lane + THREADS_PER_ROW * j;
      let kv = kv0 + c;
      var visible = row_valid && kv < tile.kv_len;
      if (params.causal != 0u) {
        visible = visible && i32(kv) <= causal_last;
      }
      var dot = 0.0;
      for (var d = 0u; d < HEAD_DIM; d++) {
        dot += q_tile[row * HEAD_DIM + d] * kv_tile[c * KV_STRIDE + d];
      }
      var s = MASKED;
      if (visible) {
        let idx = row_idx(tile, row, kv);
        if (logits_mask(idx)) {
          s = logits_transform(dot * params.sm_scale, idx);
        }
      }
      scores[row * TILE_K + c] = s;
    }
    workgroupBarrier();
    stage_kv(tid, tile, true, kv0);
    workgroupBarrier();

    if (USE_SOFTMAX) {
      var tile_max = MASKED;
      for (var c = 0u; c < TILE_K; c++) {
        tile_max = max(tile_max, scores[row * TILE_K + c]);
      }
      let m_new = max(m, tile_max);
      let alpha = exp(m - m_new);
      l *= alpha;
      for (var d = 0u; d < DIMS_PER_THREAD; d++) {
        acc[d] *= alpha;
      }
      for (var c = 0u; c < TILE_K; c++) {
        let s = scores[row * TILE_K + c];
        if (s > MASK_LIMIT) {
          let p = exp(s - m_new);
          l += p;
          for (var d = 0u; d < DIMS_PER_THREAD; d++) {
            acc[d] += p * kv_tile[c * KV_STRIDE + lane + THREADS_PER_ROW * d];
          }
        }
      }
      m = m_new;
    } else {
      for (var c = 0u; c < TILE_K; c++) {
        let s = scores[row * TILE_K + c];
        if (s > MASK_LIMIT) {
          l += 1.0;
          for (var d = 0u; d < DIMS_PER_THREAD; d++) {
            acc[d] += s * kv_tile[c * KV_STRIDE + lane + THREADS_PER_ROW * d];
          }
        }
      }
    }
  }

  var scale = 1.0;
  if (USE_SOFTMAX) {
    scale = select(0.0, 1.0 / l, l > 0.0);
  }
  for (var d = 0u; d < DIMS_PER_THREAD; d++) {
    acc[d] *= scale;
  }
  if (HAS_OUTPUT_TRANSFORM) {
    workgroupBarrier();
    for (var d = 0u; d < DIMS_PER_THREAD; d++) {
      q_tile[row * HEAD_DIM + lane + THREADS_PER_ROW * d] = acc[d];
    }
    workgroupBarrier();
    for (var d = 0u; d < DIMS_PER_THREAD; d++) {
      acc[d] = output_transform(row_idx(tile, row, 0u), row, i32(lane + THREADS_PER_ROW * d));
    }
  }
  if (!row_valid) {
    return;
  }
  let out_row = (tile.qo_base + qo) * params.num_qo_heads + tile.qo_head;
  for (var d = 0u; d < DIMS_PER_THREAD; d++) {
    o[out_row * HEAD_DIM + lane + THREADS_PER_ROW * d] = acc[d];
  }
  if (lane == 0u) {
    var row_lse = select(bitcast<f32>(params.neg_inf_bits), m + log(l), l > 0.0);
    if (!USE_SOFTMAX) {
      row_lse = select(bitcast<f32>(params.neg_inf_bits), 0.0, l > 0.0);
    }
    lse[out_row] = row_lse;
  }
}
