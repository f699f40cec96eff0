// Prefill/append attention with register tiles, fp32: the fast path for variants without
// query, key, value or output transforms (attention_ragged.wgsl serves those).
//
// A workgroup computes TILE_Q (32) query rows of one request and head. Thread (tr, tc), with
// tr = tid / 8 and tc = tid % 8, owns rows 2tr and 2tr+1: it computes their scores against keys
// tc and tc + 8 of each 16-key tile, and their output in dims 4·(tc + 8m) … +3. Scores go
// through workgroup memory once per tile, so each row's 8 threads share one running max, and the
// probability tile P is multiplied by the staged V tile from registers. Bindings are those of
// attention_ragged.wgsl, parameters those of prefill_params.wgsl.

const HEAD_DIM: u32 = 128u;  // specialized
// Tokens per page of a paged KV cache; 0 for ragged KV.
const PAGE_SIZE: u32 = 0u;   // specialized

const TILE_Q: u32 = 32u;
const TILE_K: u32 = 16u;
const ROWS: u32 = 2u;  // query rows per thread
const COLS: u32 = 2u;  // keys per thread and tile
const WORKGROUP_SIZE: u32 = 128u;
const VECS: u32 = HEAD_DIM / 4u;
// Padding of one vec4 per staged key row spreads a column over the memory banks.
const KV_STRIDE: u32 = VECS + 1u;
const OUT_VECS: u32 = VECS / 8u;
const MASKED: f32 = -3.0e38;
const MASK_LIMIT: f32 = -1.0e38;

// @include prefill_params

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q: array<vec4f>;
@group(0) @binding(2) var<storage, read> k: array<vec4f>;
@group(0) @binding(3) var<storage, read> v: array<vec4f>;
@group(0) @binding(4) var<storage, read> batch_info: array<u32>;
@group(0) @binding(5) var<storage, read_write> o: array<vec4f>;
@group(0) @binding(6) var<storage, read_write> lse: array<f32>;

var<workgroup> q_tile: array<vec4f, TILE_Q * VECS>;
var<workgroup> kv_tile: array<vec4f, TILE_K * KV_STRIDE>;
var<workgroup> p_tile: array<f32, TILE_Q * TILE_K>;
// Without softmax a row's output is a plain sum, so whether it saw any key is kept apart.
var<workgroup> row_seen: array<atomic<u32>, TILE_Q>;

// @include common

// No query transform here either: such variants also take attention_ragged.wgsl.
fn hook_read_q(row: u32, j: i32) -> f32 {
  return 0.0;
}
// @include no_row_hooks

// @hooks

fn stage(tid: u32, use_v: bool, kv_base: u32, kv_head: u32, kv0: u32, kv_len: u32) {
  for (var i = tid; i < TILE_K * VECS; i += WORKGROUP_SIZE) {
    let c = i / VECS;
    let x = i % VECS;
    var value = vec4f(0.0);
    if (kv0 + c < kv_len) {
      let at = (kv_token_row(kv_base, kv0 + c) * params.num_kv_heads + kv_head) * VECS + x;
      if (use_v) {
        value = v[at];
      } else {
        value = k[at];
      }
    }
    kv_tile[c * KV_STRIDE + x] = value;
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
  let kv_base = batch_info[params.kv_starts_offset + request];
  let kv_len = batch_info[params.kv_lens_offset + request];
  let tr = tid / 8u;
  let tc = tid % 8u;

  for (var i = tid; i < TILE_Q * VECS; i += WORKGROUP_SIZE) {
    let r = i / VECS;
    var value = vec4f(0.0);
    if (qo_start + r < qo_len) {
      value = q[((qo_base + qo_start + r) * params.num_qo_heads + qo_head) * VECS + i % VECS];
    }
    q_tile[i] = value;
  }

  var kv_end = kv_len;
  if (params.causal != 0u) {
    let rows_end = min(qo_start + TILE_Q, qo_len);
    kv_end = u32(clamp(i32(rows_end) + i32(kv_len) - i32(qo_len), 0, i32(kv_len)));
  }

  var m = array<f32, 2>(MASKED, MASKED);
  var l = array<f32, 2>(0.0, 0.0);
  var acc = array<array<vec4f, OUT_VECS>, 2>();

  for (var kv0 = 0u; kv0 < kv_end; kv0 += TILE_K) {
    workgroupBarrier();
    stage(tid, false, kv_base, kv_head, kv0, kv_len);
    workgroupBarrier();

    var s = array<array<f32, 2>, 2>();
    for (var x = 0u; x < VECS; x++) {
      let k0 = kv_tile[tc * KV_STRIDE + x];
      let k1 = kv_tile[(tc + 8u) * KV_STRIDE + x];
      for (var r = 0u; r < ROWS; r++) { // @unroll
        let qv = q_tile[(2u * tr + r) * VECS + x];
        s[r][0] += dot(qv, k0);
        s[r][1] += dot(qv, k1);
      }
    }
    for (var r = 0u; r < ROWS; r++) { // @unroll
      let qo = qo_start + 2u * tr + r;
      for (var c = 0u; c < COLS; c++) { // @unroll
        let kv = kv0 + tc + 8u * c;
        var score = MASKED;
        var visible = qo < qo_len && kv < kv_len;
        if (params.causal != 0u) {
          visible = visible && i32(kv) <= i32(qo) + i32(kv_len) - i32(qo_len);
        }
        if (visible) {
          let idx = Idx(i32(request), i32(qo), i32(kv), i32(qo_head), i32(kv_head), i32(qo_len), i32(kv_len));
          if (logits_mask(idx)) {
            score = logits_transform(s[r][c] * params.sm_scale, idx);
            if (!USE_SOFTMAX) {
              atomicOr(&row_seen[2u * tr + r], 1u);
            }
          }
        }
        p_tile[(2u * tr + r) * TILE_K + tc + 8u * c] = score;
      }
    }
    workgroupBarrier();
    stage(tid, true, kv_base, kv_head, kv0, kv_len);

    // Each thread turns its own scores into probabilities against the row's new max.
    var alpha = array<f32, 2>();
    for (var r = 0u; r < ROWS; r++) { // @unroll
      let row = 2u * tr + r;
      if (USE_SOFTMAX) {
        var m_new = m[r];
        for (var c = 0u; c < TILE_K; c++) {
          m_new = max(m_new, p_tile[row * TILE_K + c]);
        }
        alpha[r] = exp(m[r] - m_new);
        m[r] = m_new;
      } else {
        alpha[r] = 1.0;
      }
    }
    workgroupBarrier();
    for (var r = 0u; r < ROWS; r++) { // @unroll
      let row = 2u * tr + r;
      for (var c = 0u; c < COLS; c++) { // @unroll
        let at = row * TILE_K + tc + 8u * c;
        let score = p_tile[at];
        var p = 0.0;
        if (score > MASK_LIMIT) {
          p = select(score, exp(score - m[r]), USE_SOFTMAX);
        }
        p_tile[at] = p;
      }
    }
    workgroupBarrier();

    for (var r = 0u; r < ROWS; r++) { // @unroll
      let row = 2u * tr + r;
      var sum = 0.0;
      for (var c = 0u; c < TILE_K; c++) {
        sum += p_tile[row * TILE_K + c];
      }
      l[r] = l[r] * alpha[r] + sum;
      for (var n = 0u; n < OUT_VECS; n++) { // @unroll
        acc[r][n] *= alpha[r];
      }
    }
    for (var c = 0u; c < TILE_K; c++) {
      let p0 = p_tile[(2u * tr) * TILE_K + c];
      let p1 = p_tile[(2u * tr + 1u) * TILE_K + c];
      for (var n = 0u; n < OUT_VECS; n++) { // @unroll
        let vv = kv_tile[c * KV_STRIDE + tc + 8u * n];
        acc[0][n] += p0 * vv;
        acc[1][n] += p1 * vv;
      }
    }
  }

  workgroupBarrier();
  for (var r = 0u; r < ROWS; r++) { // @unroll
    let qo = qo_start + 2u * tr + r;
    let seen = atomicLoad(&row_seen[2u * tr + r]) != 0u;
    if (qo < qo_len) {
      let out_row = (qo_base + qo) * params.num_qo_heads + qo_head;
      var scale = 1.0;
      if (USE_SOFTMAX) {
        scale = select(0.0, 1.0 / l[r], l[r] > 0.0);
      }
      for (var n = 0u; n < OUT_VECS; n++) { // @unroll
        o[out_row * VECS + tc + 8u * n] = acc[r][n] * scale;
      }
      if (tc == 0u) {
        var row_lse = select(bitcast<f32>(params.neg_inf_bits), m[r] + log(l[r]), l[r] > 0.0);
        if (!USE_SOFTMAX) {
          row_lse = select(bitcast<f32>(params.neg_inf_bits), 0.0, seen);
        }
        lse[out_row] = row_lse;
      }
    }
  }
}
