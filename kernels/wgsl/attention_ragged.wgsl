// Batched attention over ragged (packed) queries and keys, fp32, online softmax.
//
// One workgroup computes one tile of TILE_Q query rows of one request for one query head.
// It walks the request's keys TILE_K at a time: stage K, score, stage V (into the same
// workgroup buffer), fold the tile into a running max `m`, denominator `l` and output `acc`.
// Each query row is owned by THREADS_PER_ROW threads; each thread keeps HEAD_DIM /
// THREADS_PER_ROW output dimensions (interleaved, so neighbouring threads touch neighbouring
// words). Tile sizes are chosen by the host so the footprint fits WebGPU's default 16 KiB.
//
// The `const` lines marked `specialized` are replaced by the host before compilation.

const HEAD_DIM: u32 = 64u;        // specialized
const TILE_Q: u32 = 16u;          // specialized
const TILE_K: u32 = 32u;          // specialized
const THREADS_PER_ROW: u32 = 8u;  // specialized

const WORKGROUP_SIZE: u32 = TILE_Q * THREADS_PER_ROW;
const DIMS_PER_THREAD: u32 = HEAD_DIM / THREADS_PER_ROW;
const SCORES_PER_THREAD: u32 = TILE_K / THREADS_PER_ROW;
// One padding word per staged key row spreads a column of the tile over all memory banks.
const KV_STRIDE: u32 = HEAD_DIM + 1u;
// WGSL has no infinite constants and lets compilers assume none occur, so a masked score is
// this finite value and anything at or below MASK_LIMIT counts as masked (weight exactly 0).
const MASKED: f32 = -3.0e38;
const MASK_LIMIT: f32 = -1.0e38;

struct Params {
  num_qo_heads: u32,
  num_kv_heads: u32,
  group: u32,             // query heads per KV head
  causal: u32,
  sm_scale: f32,
  neg_inf_bits: u32,      // the bits of -inf, written as the lse of a row that sees no key
  kv_indptr_offset: u32,  // where kvIndptr starts in `batch_info`
  tiles_offset: u32,      // where the (request, first query row) tile table starts in `batch_info`
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;      // [totalQo, numQoHeads, HEAD_DIM]
@group(0) @binding(2) var<storage, read> k: array<f32>;      // [totalKv, numKvHeads, HEAD_DIM]
@group(0) @binding(3) var<storage, read> v: array<f32>;      // [totalKv, numKvHeads, HEAD_DIM]
@group(0) @binding(4) var<storage, read> batch_info: array<u32>;   // qoIndptr | kvIndptr | tile table
@group(0) @binding(5) var<storage, read_write> o: array<f32>;    // [totalQo, numQoHeads, HEAD_DIM]
@group(0) @binding(6) var<storage, read_write> lse: array<f32>;  // [totalQo, numQoHeads]

var<workgroup> q_tile: array<f32, TILE_Q * HEAD_DIM>;
var<workgroup> kv_tile: array<f32, TILE_K * KV_STRIDE>;
var<workgroup> scores: array<f32, TILE_Q * TILE_K>;

fn stage_kv(tid: u32, use_v: bool, kv0: u32, kv_base: u32, kv_len: u32, kv_head: u32) {
  for (var i = tid; i < TILE_K * HEAD_DIM; i += WORKGROUP_SIZE) {
    let c = i / HEAD_DIM;
    let d = i % HEAD_DIM;
    var x = 0.0;
    if (kv0 + c < kv_len) {
      let at = ((kv_base + kv0 + c) * params.num_kv_heads + kv_head) * HEAD_DIM + d;
      if (use_v) {
        x = v[at];
      } else {
        x = k[at];
      }
    }
    kv_tile[c * KV_STRIDE + d] = x;
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) tid: u32) {
  let request = batch_info[params.tiles_offset + 2u * wg.x];
  let qo_start = batch_info[params.tiles_offset + 2u * wg.x + 1u];
  let qo_head = wg.y;
  let kv_head = qo_head / params.group;
  let qo_base = batch_info[request];
  let qo_len = batch_info[request + 1u] - qo_base;
  let kv_base = batch_info[params.kv_indptr_offset + request];
  let kv_len = batch_info[params.kv_indptr_offset + request + 1u] - kv_base;

  let row = tid / THREADS_PER_ROW;
  let lane = tid % THREADS_PER_ROW;
  let qo = qo_start + row;
  let row_valid = qo < qo_len;
  // Bottom-right aligned causal rule: row qo sees kv <= qo + kv_len - qo_len.
  let causal_last = i32(qo) + i32(kv_len) - i32(qo_len);

  for (var i = tid; i < TILE_Q * HEAD_DIM; i += WORKGROUP_SIZE) {
    let r = i / HEAD_DIM;
    var x = 0.0;
    if (qo_start + r < qo_len) {
      x = q[((qo_base + qo_start + r) * params.num_qo_heads + qo_head) * HEAD_DIM + i % HEAD_DIM];
    }
    q_tile[i] = x;
  }

  // Keys past the last row's causal limit are invisible to the whole tile: skip their tiles.
  var kv_end = kv_len;
  if (params.causal != 0u) {
    let rows_end = min(qo_start + TILE_Q, qo_len);
    kv_end = u32(clamp(i32(rows_end) + i32(kv_len) - i32(qo_len), 0, i32(kv_len)));
  }

  var m = MASKED;
  var l = 0.0;
  var acc: array<f32, DIMS_PER_THREAD>;

  for (var kv0 = 0u; kv0 < kv_end; kv0 += TILE_K) {
    workgroupBarrier();
    stage_kv(tid, false, kv0, kv_base, kv_len, kv_head);
    workgroupBarrier();

    for (var j = 0u; j < SCORES_PER_THREAD; j++) {
      let c = lane + THREADS_PER_ROW * j;
      let kv = kv0 + c;
      var visible = row_valid && kv < kv_len;
      if (params.causal != 0u) {
        visible = visible && i32(kv) <= causal_last;
      }
      var dot = 0.0;
      for (var d = 0u; d < HEAD_DIM; d++) {
        dot += q_tile[row * HEAD_DIM + d] * kv_tile[c * KV_STRIDE + d];
      }
      scores[row * TILE_K + c] = select(MASKED, dot * params.sm_scale, visible);
    }
    workgroupBarrier();
    stage_kv(tid, true, kv0, kv_base, kv_len, kv_head);
    workgroupBarrier();

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
  }

  if (!row_valid) {
    return;
  }
  let out_row = (qo_base + qo) * params.num_qo_heads + qo_head;
  let inv_l = select(0.0, 1.0 / l, l > 0.0);
  for (var d = 0u; d < DIMS_PER_THREAD; d++) {
    o[out_row * HEAD_DIM + lane + THREADS_PER_ROW * d] = acc[d] * inv_l;
  }
  if (lane == 0u) {
    lse[out_row] = select(bitcast<f32>(params.neg_inf_bits), m + log(l), l > 0.0);
  }
}
