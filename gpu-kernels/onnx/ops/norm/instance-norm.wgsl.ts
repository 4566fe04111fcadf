/**
 * WGSL for InstanceNormalization: one workgroup per (n, c) line of `len` contiguous values.
 * Two passes over the line, each a strided per-invocation sum reduced in workgroup memory: the mean,
 * then the centred sum of squares (population variance, as ONNX defines it); the third pass writes
 * y = (x − mean) · scale[c] / sqrt(var + eps) + bias[c]. All arithmetic in f32.
 */

/** `wg`: a power of two (ctx.workgroupSize1D), for the tree reduction. */
export function instanceNormWgsl(wg: number): string {
  return `struct U { lines: u32, len: u32, channels: u32, eps: f32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read> scale: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<uniform> u: U;
var<workgroup> part: array<f32, ${wg}>;

fn reduce(li: u32, v: f32) -> f32 {
  part[li] = v;
  workgroupBarrier();
  for (var k = ${wg / 2}u; k > 0u; k = k >> 1u) {
    if (li < k) { part[li] = part[li] + part[li + k]; }
    workgroupBarrier();
  }
  let total = part[0];
  workgroupBarrier();
  return total;
}

@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let line = wid.x + wid.y * nwg.x;
  if (line >= u.lines) { return; }
  let base = line * u.len;
  var s = 0.0;
  for (var i = li; i < u.len; i = i + ${wg}u) { s = s + x[base + i]; }
  let mean = reduce(li, s) / f32(u.len);
  var q = 0.0;
  for (var i = li; i < u.len; i = i + ${wg}u) { let d = x[base + i] - mean; q = q + d * d; }
  let inv = 1.0 / sqrt(reduce(li, q) / f32(u.len) + u.eps);
  let c = line % u.channels;
  let a = scale[c] * inv;
  let b = bias[c] - mean * a;
  for (var i = li; i < u.len; i = i + ${wg}u) { y[base + i] = x[base + i] * a + b; }
}`;
}
