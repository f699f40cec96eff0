// Streaming read: every thread sums vec4s strided over the whole buffer, so the GPU's memory
// system runs flat out. The bandwidth it reaches is the ceiling for memory-bound kernels
// (decode attention reads each key and value exactly once).

const WORKGROUP_SIZE: u32 = 256u;

struct Params {
  count: u32,   // vec4s in `data`
  stride: u32,  // threads in the dispatch
}

@group(0) @binding(0) var<storage, read> data: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> sink: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  var acc = vec4f(0.0);
  for (var i = gid.x; i < params.count; i += params.stride) {
    acc += data[i];
  }
  // Written only if the impossible happens, so the compiler cannot drop the reads.
  let total = acc.x + acc.y + acc.z + acc.w;
  if (total == -1.2345e-38) {
    sink[0] = total;
  }
}
