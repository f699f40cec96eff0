// Prefill/append attention with register tiles, fp32: the fast path for variants without
// query, key, value or output transforms (attention_ragged.wgsl serves those).
//
// A workgroup computes TILE_Q (64 or 128) query rows of one request and head against tiles of
// TILE_K (64) keys, FlashAttention-2 style. Thread (ty, tx), ty = tid / 16 and tx = tid % 16, owns the
// 8 rows 8ty … 8ty+7: their scores against keys 4tx … 4tx+3 of each tile (an 8×4 register tile)
// and their output in dims 4tx … 4tx+3 and 64+4tx … (an 8×(4·OUT_VECS) register tile).
//
// S = Q·Kᵀ runs over CHUNK dims at a time: q and k chunks are staged transposed ([dim][row]), so
// each step is three vec4 loads from workgroup memory for 32 multiply-adds. The row max goes
// through workgroup memory once per tile; each thread keeps its own part of the row sums (they
// share the row's max, so the parts add up at the end). P is written transposed ([key][row]) and
// O += P·V runs over CHUNK keys of V at a time: four vec4 loads for 64 multiply-adds, as in a
// register-tiled SGEMM. Each of a tile's 12 stages (8 of q·k, 4 of P·V) reads its global data
// into registers during the previous stage's arithmetic, so the reads' latency is hidden behind
// it rather than waited for at the barrier. Bindings are those of attention_ragged.wgsl plus
// `partial`, parameters those of prefill_params.wgsl.
//
// LISTED (specialized) makes the KV tiles a list rather than 0 … kv_end: each workgroup's item
// (request, first query row, output base, output stride) comes with a list per head slot of
// (first key, kind) entries, and tiles not listed are never read — how block-sparse (BSR) and
// composed formats skip empty blocks. A tile's kind says how much masking it needs: FULL
// tiles keep every score (no causal test, no logitsMask), MASKED tiles test each element, and
// MIXED tiles (blocks smaller than the tile) carry two bitmaps, which elements lie in a stored
// block and which of those need the element test. An item with a non-zero output stride writes
// its rows' partial states (output and lse) to `partial` at row base + stride × query row, for
// the merge kernel (attention_merge.wgsl) to contract.
//
// Workgroup memory: 24.3 KiB at TILE_Q 64 and 44.5 KiB at 128, above WebGPU's default 16 KiB, so
// the host requests the adapter's limit and picks the tile that fits (gpu/ragged-attention.ts).

const HEAD_DIM: u32 = 128u;  // specialized
// Tokens per page of a paged KV cache; 0 for ragged KV.
const PAGE_SIZE: u32 = 0u;   // specialized
// 1: KV tiles come from per-item lists in `batch_info` (see above), 2: and some are MIXED;
// 0: every tile up to kv_end. (MIXED's bitmap code costs registers, so it is left out unless needed.)
const LISTED: u32 = 0u;      // specialized
// 1: each stage's global reads are made during the previous stage (held in registers); 0: at the
// stage's start, waited for at its barrier (fewer live registers). A tuning choice.
const PREFETCH: u32 = 1u;    // specialized

// Query rows per workgroup: 64 (128 threads, 24.3 KiB of workgroup memory) or 128 (256 threads,
// 44.5 KiB: K and V tiles are read once for twice the rows, where the device has the memory).
const TILE_Q: u32 = 64u;     // specialized
const TILE_K: u32 = 64u;
const CHUNK: u32 = 16u;
const ROWS: u32 = 8u;        // query rows per thread
const COLS: u32 = 4u;        // keys per thread and tile
const WORKGROUP_SIZE: u32 = 2u * TILE_Q;  // 16 threads per 8 rows
const VECS: u32 = HEAD_DIM / 4u;
const OUT_VECS: u32 = HEAD_DIM / 64u;
const CHUNKS_D: u32 = HEAD_DIM / CHUNK;
const CHUNKS_K: u32 = TILE_K / CHUNK;
// vec4s of the staged q chunk; the k chunk follows it. A V chunk (CHUNK rows of VECS) reuses both,
// and so do the row parts of the softmax (TILE_Q rows of 16 floats).
const Q_CHUNK_VECS: u32 = CHUNK * TILE_Q / 4u;
const K_CHUNK_VECS: u32 = CHUNK * TILE_K / 4u;
const STAGED_VECS: u32 = max(max(Q_CHUNK_VECS + K_CHUNK_VECS, CHUNK * VECS), TILE_Q * 4u);
// Rows whose vec4s one thread transposes when staging q or k. The small loops over rows, columns
// and output vecs are left to the GPU compiler: unrolling them on the host measured slower on an
// H200 (32.1 vs 30.3 ms) and takes SwiftShader minutes to compile.
const STAGE_ROWS: u32 = 4u;
// vec4s of a V chunk each thread loads (4 at head dim 128, 2 at 64).
const V_PER_THREAD: u32 = CHUNK * VECS / WORKGROUP_SIZE;
// Stages per KV tile: CHUNKS_D of q·k, then CHUNKS_K of P·V.
const STAGES: u32 = CHUNKS_D + CHUNKS_K;
// Kinds of a listed tile (the low 2 bits of its entry's second word; MIXED's upper bits are the
// word offset of its two TILE_Q × TILE_K bitmaps in batch_info).
const TILE_FULL: u32 = 0u;
const TILE_MASKED: u32 = 1u;
const TILE_MIXED: u32 = 2u;
const BITMAP_WORDS: u32 = TILE_Q * TILE_K / 32u;
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
// Partial states of listed items with an output stride: outputs [row][head][dim], then lse.
@group(0) @binding(9) var<storage, read_write> partial: array<f32>;

// q chunk [dim][row / 4] and k chunk [dim][key / 4] while scoring; a V chunk [key][vec] after;
// between them, and after the last tile, each row's 16 parts (tile max, then row sums) as 4 vec4s.
var<workgroup> staged: array<vec4f, STAGED_VECS>;
// Probabilities, transposed: [key][row / 4].
var<workgroup> p_tile: array<vec4f, TILE_K * TILE_Q / 4u>;
// Without softmax a row's output is a plain sum, so whether it saw any key is kept apart.
var<workgroup> row_seen: array<atomic<u32>, TILE_Q>;

// @include common

// No query transform here either: such variants also take attention_ragged.wgsl.
fn hook_read_q(row: u32, j: i32) -> f32 {
  return 0.0;
}
// @include no_row_hooks

// @hooks

// What the staging functions need to know about the workgroup's rows and keys.
struct Tile {
  q_row0: u32,   // q row of the first query row (token row × heads + head)
  qo_rows: u32,  // query rows in this tile
  kv_base: u32,
  kv_head: u32,
  kv_len: u32,
}

// One stage's global reads, made a stage ahead so they are in flight while the previous stage
// computes. Stages 0 … CHUNKS_D-1 of a KV tile read dims 16s … 16s+15 of the TILE_Q query rows
// (threads 0 … TILE_Q-1) and 64 keys (the next 64 threads; with TILE_Q 128 the last 64 rest): one
// vec4 from each of 4 consecutive rows. Stages CHUNKS_D … read CHUNK rows of V, V_PER_THREAD vec4s
// per thread.
fn load_stage(tid: u32, stage: u32, kv0: u32, t: Tile) -> array<vec4f, STAGE_ROWS> {
  var rows = array<vec4f, STAGE_ROWS>();
  if (stage < CHUNKS_D) {
    let d0 = stage * CHUNK;
    let block = select(tid - TILE_Q, tid, tid < TILE_Q);
    let dv = block % (CHUNK / 4u);
    let group = block / (CHUNK / 4u);
    for (var i = 0u; i < STAGE_ROWS; i++) {
      let r = 4u * group + i;
      if (tid < TILE_Q) {
        if (r < t.qo_rows) {
          rows[i] = q[(t.q_row0 + r * params.num_qo_heads) * VECS + d0 / 4u + dv];
        }
      } else if (r < TILE_K && kv0 + r < t.kv_len) {
        rows[i] = k[(kv_token_row(t.kv_base, kv0 + r) * params.num_kv_heads + t.kv_head) * VECS + d0 / 4u + dv];
      }
    }
  } else {
    let j0 = kv0 + (stage - CHUNKS_D) * CHUNK;
    for (var n = 0u; n < V_PER_THREAD; n++) {
      let i = tid + n * WORKGROUP_SIZE;
      let j = j0 + i / VECS;
      if (j < t.kv_len) {
        rows[n] = v[(kv_token_row(t.kv_base, j) * params.num_kv_heads + t.kv_head) * VECS + i % VECS];
      }
    }
  }
  return rows;
}

// Writes a stage's reads to workgroup memory: q and k transposed ([dim][row / 4]), V as it is.
fn store_stage(tid: u32, stage: u32, rows: array<vec4f, STAGE_ROWS>) {
  if (stage < CHUNKS_D) {
    let is_q = tid < TILE_Q;
    let block = select(tid - TILE_Q, tid, is_q);
    let dv = block % (CHUNK / 4u);
    let group = block / (CHUNK / 4u);
    let stride = select(TILE_K / 4u, TILE_Q / 4u, is_q);
    let at = select(Q_CHUNK_VECS, 0u, is_q) + 4u * dv * stride + group;
    if (is_q || block < TILE_K) {
      staged[at] = vec4f(rows[0].x, rows[1].x, rows[2].x, rows[3].x);
      staged[at + stride] = vec4f(rows[0].y, rows[1].y, rows[2].y, rows[3].y);
      staged[at + 2u * stride] = vec4f(rows[0].z, rows[1].z, rows[2].z, rows[3].z);
      staged[at + 3u * stride] = vec4f(rows[0].w, rows[1].w, rows[2].w, rows[3].w);
    }
  } else {
    for (var n = 0u; n < V_PER_THREAD; n++) {
      staged[tid + n * WORKGROUP_SIZE] = rows[n];
    }
  }
}

// The first key of a workgroup's e-th KV tile, and how it is masked.
fn tile_kv0(list: u32, e: u32) -> u32 {
  if (LISTED != 0u) {
    return batch_info[list + 2u * e];
  }
  return e * TILE_K;
}

fn tile_kind(list: u32, e: u32) -> u32 {
  if (LISTED != 0u) {
    return batch_info[list + 2u * e + 1u];
  }
  return TILE_MASKED;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) tid: u32) {
  let qo_head = wg.y;
  var request: u32;
  var qo_start: u32;
  var out_base = 0u;
  var out_stride = 0u;
  var list = 0u;
  var listed = 0u;
  if (LISTED != 0u) {
    let item = params.tiles_offset + 4u * wg.x;
    request = batch_info[item];
    qo_start = batch_info[item + 1u];
    out_base = batch_info[item + 2u];
    out_stride = batch_info[item + 3u];
    let slot = params.lists_offset + 2u * (wg.x * params.list_heads + select(0u, qo_head, params.list_heads > 1u));
    list = batch_info[slot];
    listed = batch_info[slot + 1u];
  } else {
    request = batch_info[params.tiles_offset + 2u * wg.x];
    qo_start = batch_info[params.tiles_offset + 2u * wg.x + 1u];
  }
  let kv_head = qo_head / params.group;
  let qo_base = batch_info[request];
  let qo_len = batch_info[request + 1u] - qo_base;
  let kv_base = batch_info[params.kv_starts_offset + request];
  let kv_len = batch_info[params.kv_lens_offset + request];
  let ty = tid / 16u;
  let tx = tid % 16u;
  let qo_rows = min(TILE_Q, qo_len - qo_start);
  let q_row0 = (qo_base + qo_start) * params.num_qo_heads + qo_head;

  var kv_end = kv_len;
  if (params.causal != 0u) {
    kv_end = u32(clamp(i32(qo_start + qo_rows) + i32(kv_len) - i32(qo_len), 0, i32(kv_len)));
  }
  var tiles = (kv_end + TILE_K - 1u) / TILE_K;
  if (LISTED != 0u) {
    tiles = listed;
  }

  var m: array<f32, ROWS>;
  var l: array<f32, ROWS>;
  var acc: array<array<vec4f, OUT_VECS>, ROWS>;
  for (var r = 0u; r < ROWS; r++) {
    m[r] = MASKED;
    l[r] = 0.0;
    for (var n = 0u; n < OUT_VECS; n++) {
      acc[r][n] = vec4f(0.0);
    }
  }
  var seen = array<u32, ROWS>();

  let t = Tile(q_row0, qo_rows, kv_base, kv_head, kv_len);
  var next = array<vec4f, STAGE_ROWS>();
  if (PREFETCH != 0u && tiles > 0u) {
    next = load_stage(tid, 0u, tile_kv0(list, 0u), t);
  }
  for (var e = 0u; e < tiles; e++) {
    let kv0 = tile_kv0(list, e);
    let kind = tile_kind(list, e);
    // s[r] holds row 8ty+r's scores against keys 4tx … 4tx+3.
    var s: array<vec4f, ROWS>;
    for (var r = 0u; r < ROWS; r++) {
      s[r] = vec4f(0.0);
    }
    for (var stage = 0u; stage < STAGES; stage++) {
      if (PREFETCH == 0u) {
        next = load_stage(tid, stage, kv0, t);
      }
      workgroupBarrier();
      store_stage(tid, stage, next);
      workgroupBarrier();
      if (PREFETCH != 0u) {
        if (stage + 1u < STAGES) {
          next = load_stage(tid, stage + 1u, kv0, t);
        } else if (e + 1u < tiles) {
          next = load_stage(tid, 0u, tile_kv0(list, e + 1u), t);
        }
      }
      if (stage < CHUNKS_D) {
        for (var d = 0u; d < CHUNK; d++) {
          let qa = staged[d * (TILE_Q / 4u) + 2u * ty];
          let qb = staged[d * (TILE_Q / 4u) + 2u * ty + 1u];
          let kk = staged[Q_CHUNK_VECS + d * (TILE_K / 4u) + tx];
          s[0] += qa.x * kk;
          s[1] += qa.y * kk;
          s[2] += qa.z * kk;
          s[3] += qa.w * kk;
          s[4] += qb.x * kk;
          s[5] += qb.y * kk;
          s[6] += qb.z * kk;
          s[7] += qb.w * kk;
        }
      } else {
        let j0 = (stage - CHUNKS_D) * CHUNK;
        for (var j = 0u; j < CHUNK; j++) {
          let pa = p_tile[(j0 + j) * (TILE_Q / 4u) + 2u * ty];
          let pb = p_tile[(j0 + j) * (TILE_Q / 4u) + 2u * ty + 1u];
          for (var n = 0u; n < OUT_VECS; n++) {
            let vv = staged[j * VECS + tx + 16u * n];
            acc[0][n] += pa.x * vv;
            acc[1][n] += pa.y * vv;
            acc[2][n] += pa.z * vv;
            acc[3][n] += pa.w * vv;
            acc[4][n] += pb.x * vv;
            acc[5][n] += pb.y * vv;
            acc[6][n] += pb.z * vv;
            acc[7][n] += pb.w * vv;
          }
        }
      }
      if (stage == CHUNKS_D - 1u) {
        // Every thread is done with the q and k chunks before row parts overwrite them.
        workgroupBarrier();
        // Mask and transform each score; each row's tile max goes to workgroup memory.
        for (var r = 0u; r < ROWS; r++) {
          let qo = qo_start + 8u * ty + r;
          var row_max = MASKED;
          for (var c = 0u; c < COLS; c++) {
            let kv = kv0 + 4u * tx + c;
            var score = MASKED;
            var visible = qo < qo_len && kv < kv_len;
            var test = (kind & 3u) != TILE_FULL;
            if (LISTED == 2u && (kind & 3u) == TILE_MIXED) {
              let bit = (8u * ty + r) * TILE_K + 4u * tx + c;
              let word = (kind >> 2u) + bit / 32u;
              visible = visible && ((batch_info[word] >> (bit % 32u)) & 1u) != 0u;
              test = ((batch_info[word + BITMAP_WORDS] >> (bit % 32u)) & 1u) != 0u;
            }
            if (test && params.causal != 0u) {
              visible = visible && i32(kv) <= i32(qo) + i32(kv_len) - i32(qo_len);
            }
            if (visible) {
              let idx = Idx(i32(request), i32(qo), i32(kv), i32(qo_head), i32(kv_head), i32(qo_len), i32(kv_len));
              if (!test || logits_mask(idx)) {
                score = logits_transform(s[r][c] * params.sm_scale, idx);
                seen[r] = 1u;
              }
            }
            s[r][c] = score;
            row_max = max(row_max, score);
          }
          if (USE_SOFTMAX) {
            staged[(8u * ty + r) * 4u + tx / 4u][tx % 4u] = row_max;
          }
        }
        if (USE_SOFTMAX) {
          workgroupBarrier();
        }
        // Probabilities against the row's new max, written transposed for the P·V product.
        var p: array<vec4f, ROWS>;
        for (var r = 0u; r < ROWS; r++) {
          var alpha = 1.0;
          if (USE_SOFTMAX) {
            let row = 8u * ty + r;
            var m_new = m[r];
            for (var x = 0u; x < 4u; x++) {
              let part = staged[row * 4u + x];
              m_new = max(m_new, max(max(part.x, part.y), max(part.z, part.w)));
            }
            alpha = exp(m[r] - m_new);
            m[r] = m_new;
          }
          for (var c = 0u; c < COLS; c++) {
            let score = s[r][c];
            var value = 0.0;
            if (score > MASK_LIMIT) {
              value = select(score, exp(score - m[r]), USE_SOFTMAX);
            }
            p[r][c] = value;
          }
          l[r] = l[r] * alpha + p[r].x + p[r].y + p[r].z + p[r].w;
          for (var n = 0u; n < OUT_VECS; n++) {
            acc[r][n] *= alpha;
          }
        }
        for (var c = 0u; c < COLS; c++) {
          let at = (4u * tx + c) * (TILE_Q / 4u) + 2u * ty;
          p_tile[at] = vec4f(p[0][c], p[1][c], p[2][c], p[3][c]);
          p_tile[at + 1u] = vec4f(p[4][c], p[5][c], p[6][c], p[7][c]);
        }
      }
    }
  }

  // Each row's sum is the sum of its 16 threads' parts.
  workgroupBarrier();
  for (var r = 0u; r < ROWS; r++) {
    staged[(8u * ty + r) * 4u + tx / 4u][tx % 4u] = l[r];
    if (!USE_SOFTMAX && seen[r] != 0u) {
      atomicOr(&row_seen[8u * ty + r], 1u);
    }
  }
  workgroupBarrier();
  for (var r = 0u; r < ROWS; r++) {
    let row = 8u * ty + r;
    let qo = qo_start + row;
    if (qo < qo_len) {
      var total = 0.0;
      for (var x = 0u; x < 4u; x++) {
        let part = staged[row * 4u + x];
        total += (part.x + part.y) + (part.z + part.w);
      }
      let out_row = (qo_base + qo) * params.num_qo_heads + qo_head;
      var scale = 1.0;
      var row_lse = select(bitcast<f32>(params.neg_inf_bits), m[r] + log(total), total > 0.0);
      if (USE_SOFTMAX) {
        scale = select(0.0, 1.0 / total, total > 0.0);
      } else {
        row_lse = select(bitcast<f32>(params.neg_inf_bits), 0.0, atomicLoad(&row_seen[row]) != 0u);
      }
      if (out_stride == 0u) {
        for (var n = 0u; n < OUT_VECS; n++) {
          o[out_row * VECS + tx + 16u * n] = acc[r][n] * scale;
        }
        if (tx == 0u) {
          lse[out_row] = row_lse;
        }
      } else {
        let part_row = (out_base + (qo_base + qo) * out_stride) * params.num_qo_heads + qo_head;
        for (var n = 0u; n < OUT_VECS; n++) {
          let value = acc[r][n] * scale;
          let at = part_row * HEAD_DIM + 4u * (tx + 16u * n);
          partial[at] = value.x;
          partial[at + 1u] = value.y;
          partial[at + 2u] = value.z;
          partial[at + 3u] = value.w;
        }
        if (tx == 0u) {
          partial[params.partial_lse_offset + part_row] = row_lse;
        }
      }
    }
  }
}
