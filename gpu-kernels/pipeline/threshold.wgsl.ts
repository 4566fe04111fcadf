/**
 * WGSL: foreground mask `value > t` as bytes packed 4 per u32 (`value >= tge`, tge the smallest
 * f32 above t, so the f32 comparison equals the twin's comparison against the f64 threshold).
 */
export function thresholdUniform(n: number, tge: number): ArrayBuffer {
  const buf = new ArrayBuffer(16);
  const dv = new DataView(buf);
  dv.setUint32(0, n, true);
  dv.setFloat32(4, tge, true);
  return buf;
}

export function thresholdWgsl(wg: number): string {
  return /* wgsl */ `
struct Params { n: u32, tge: f32, p0: u32, p1: u32 }
@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
@group(0) @binding(2) var<uniform> P: Params;

@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let w = gid.x + gid.y * (nwg.x * ${wg}u);
  let first = w * 4u;
  if (first >= P.n) { return; }
  var word = 0u;
  for (var k = 0u; k < 4u; k++) {
    let i = first + k;
    if (i < P.n && src[i] >= P.tge) { word |= 1u << (k * 8u); }
  }
  dst[w] = word;
}
`;
}
