/**
 * WGSL for seed detection (peak_local_max) on a work box:
 * - `maxPassWgsl`: sliding maximum of width 2r+1 along one axis, the constant 0 taking part when
 *   the window sticks out of the box (scipy `maximum_filter1d(mode='constant', cval=0)`), one
 *   invocation per output voxel; z-slabs with halos as in the Gaussian pass.
 * - `candidatesWgsl`: candidate test `img == max` (or none when `noFilter`), a "non-trivial" flag
 *   (a mask voxel that is not a candidate), the threshold (`img >= tge`, tge the smallest f32
 *   above the threshold) and an atomic append of the candidate's box index to a list.
 */
export interface MaxPassUniform {
  nx: number;
  ny: number;
  axis: number;
  n: number;
  radius: number;
  hz0: number;
  oz0: number;
  onz: number;
}

export function maxPassUniform(u: MaxPassUniform): ArrayBuffer {
  return new Uint32Array([u.nx, u.ny, u.axis, u.n, u.radius, u.hz0, u.oz0, u.onz]).buffer;
}

export function maxPassWgsl(wg: number): string {
  return /* wgsl */ `
struct Params { nx: u32, ny: u32, axis: u32, n: u32, r: u32, hz0: u32, oz0: u32, onz: u32 }
@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<uniform> P: Params;

@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * (nwg.x * ${wg}u);
  let plane = P.nx * P.ny;
  if (i >= plane * P.onz) { return; }
  let x = i % P.nx;
  let y = (i / P.nx) % P.ny;
  let zb = P.oz0 + i / plane;
  let out = x + P.nx * y + plane * zb;
  var c: i32;
  var base: u32;
  var stride: u32;
  var off: i32 = 0;
  if (P.axis == 0u) { c = i32(x); base = out - x; stride = 1u; }
  else if (P.axis == 1u) { c = i32(y); base = out - y * P.nx; stride = P.nx; }
  else { c = i32(zb + P.hz0); base = out - zb * plane; stride = plane; off = i32(P.hz0); }
  let r = i32(P.r);
  let n = i32(P.n);
  let lo = max(0, c - r);
  let hi = min(n - 1, c + r);
  var m = src[base + u32(lo - off) * stride];
  for (var k = lo + 1; k <= hi; k++) { m = max(m, src[base + u32(k - off) * stride]); }
  if ((c - r < 0 || c + r > n - 1) && m < 0.0) { m = 0.0; }
  dst[out] = m;
}
`;
}

export interface CandidatesUniform {
  /** Output voxels of this slab and their first box index. */
  count: number;
  firstIndex: number;
  /** Buffer index of the first output voxel. */
  bufOffset: number;
  noFilter: number;
  /** Candidates need img >= tge. */
  tge: number;
}

export function candidatesUniform(u: CandidatesUniform): ArrayBuffer {
  const buf = new ArrayBuffer(32);
  const dv = new DataView(buf);
  [u.count, u.firstIndex, u.bufOffset, u.noFilter].forEach((v, i) => dv.setUint32(4 * i, v, true));
  dv.setFloat32(16, u.tge, true);
  return buf;
}

/** ctl[0]: candidate count, ctl[1]: 1 if some mask voxel is not a candidate (non-trivial image). */
export function candidatesWgsl(wg: number): string {
  return /* wgsl */ `
struct Params { count: u32, first: u32, off: u32, noFilter: u32, tge: f32, p0: u32, p1: u32, p2: u32 }
@group(0) @binding(0) var<storage, read> img: array<f32>;
@group(0) @binding(1) var<storage, read> mx: array<f32>;
@group(0) @binding(2) var<storage, read> lm: array<u32>;
@group(0) @binding(3) var<storage, read_write> ctl: array<atomic<u32>>;
@group(0) @binding(4) var<storage, read_write> list: array<u32>;
@group(0) @binding(5) var<uniform> P: Params;

@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * (nwg.x * ${wg}u);
  if (i >= P.count) { return; }
  let b = i + P.off;
  let v = img[b];
  var cand = true;
  if (P.noFilter == 0u) {
    cand = v == mx[b];
    let inMask = ((lm[b >> 2u] >> ((b & 3u) * 8u)) & 0xffu) != 0u;
    if (inMask && !cand) { atomicOr(&ctl[1], 1u); }
  }
  if (cand && v >= P.tge) {
    let k = atomicAdd(&ctl[0], 1u);
    list[k] = P.first + i;
  }
}
`;
}
