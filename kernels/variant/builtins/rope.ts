// RoPE: rotary position embedding (GPT-NeoX "rotate half" layout), applied to queries and keys
// as they are loaded, so q·k depends only on the distance between their positions.
export const vars = { base: 10000.0 };

function angle(pos: i32, d: i32): number {
  const half = HEAD_DIM >> 1;
  return pos * Math.pow(vars.base, (-2 * (d % half)) / HEAD_DIM);
}

export function queryTransform(q: Vec, idx: HeadIdx): Vec {
  const pos = idx.qo + idx.kvLen - idx.qoLen;
  const half = HEAD_DIM >> 1;
  return q.map((x, d) => {
    const theta = angle(pos, d);
    return d < half ? x * Math.cos(theta) - q[d + half] * Math.sin(theta) : x * Math.cos(theta) + q[d - half] * Math.sin(theta);
  });
}

export function keyTransform(k: Vec, idx: HeadIdx): Vec {
  const half = HEAD_DIM >> 1;
  return k.map((x, d) => {
    const theta = angle(idx.kv, d);
    return d < half ? x * Math.cos(theta) - k[d + half] * Math.sin(theta) : x * Math.cos(theta) + k[d - half] * Math.sin(theta);
  });
}

export function logitsMask(idx: Idx): boolean {
  return idx.kv <= idx.qo + idx.kvLen - idx.qoLen;
}
