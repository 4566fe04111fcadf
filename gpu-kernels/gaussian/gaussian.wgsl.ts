/**
 * WGSL for one separable Gaussian pass along one axis, one invocation per output voxel.
 *
 * The buffer holds `planes` xy planes of an nx×ny grid whose plane 0 is global plane `hz0`; the
 * pass writes the `onz` planes starting at buffer plane `oz0` (z-slabs with halos write only
 * their own planes). Taps outside [0, n) along the axis follow the boundary mode on the global
 * line length `n`, exactly as the CPU twin's `boundaryIndex` (scipy's modes). Summation order
 * equals the twin: centre tap, then pairs (x−k, x+k) outermost first.
 */
export const BOUNDARY_MODES = { reflect: 0, nearest: 1, mirror: 2, constant: 3 } as const;

export interface GaussianPassUniform {
  nx: number;
  ny: number;
  /** 0 = x, 1 = y, 2 = z. */
  axis: number;
  /** Global line length along the axis. */
  n: number;
  radius: number;
  mode: number;
  /** Global z of buffer plane 0. */
  hz0: number;
  /** First output plane (buffer coordinates) and number of output planes. */
  oz0: number;
  onz: number;
  cval: number;
}

export function gaussianUniform(u: GaussianPassUniform): ArrayBuffer {
  const buf = new ArrayBuffer(48);
  const dv = new DataView(buf);
  [u.nx, u.ny, u.axis, u.n, u.radius, u.mode, u.hz0, u.oz0, u.onz].forEach((v, i) => dv.setUint32(4 * i, v, true));
  dv.setFloat32(36, u.cval, true);
  return buf;
}

export function gaussianPassWgsl(workgroupSize: number): string {
  const wg = workgroupSize;
  return /* wgsl */ `
struct Params { nx: u32, ny: u32, axis: u32, n: u32, r: u32, mode: u32, hz0: u32, oz0: u32, onz: u32, cval: f32, p0: u32, p1: u32 }
@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<uniform> P: Params;

fn pmod(a: i32, p: i32) -> i32 { return ((a % p) + p) % p; }

// Global sample index under the boundary mode; -1 = cval.
fn bidx(i: i32, n: i32) -> i32 {
  if (i >= 0 && i < n) { return i; }
  if (P.mode == 3u) { return -1; }
  if (P.mode == 1u) { return select(n - 1, 0, i < 0); }
  if (n == 1) { return 0; }
  if (P.mode == 0u) {
    let period = 2 * n;
    var k = pmod(i, period);
    if (k >= n) { k = period - 1 - k; }
    return k;
  }
  let period = 2 * n - 2;
  var k = pmod(i, period);
  if (k >= n) { k = period - k; }
  return k;
}

fn tap(base: u32, stride: u32, c: i32, n: i32) -> f32 {
  let s = bidx(c, n);
  if (s < 0) { return P.cval; }
  var b = s;
  if (P.axis == 2u) { b = s - i32(P.hz0); }
  return src[base + u32(b) * stride];
}

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
  if (P.axis == 0u) { c = i32(x); base = out - x; stride = 1u; }
  else if (P.axis == 1u) { c = i32(y); base = out - y * P.nx; stride = P.nx; }
  else { c = i32(zb + P.hz0); base = out - zb * plane; stride = plane; }
  let n = i32(P.n);
  let r = i32(P.r);
  var acc = w[P.r] * tap(base, stride, c, n);
  for (var k = r; k >= 1; k--) {
    acc += (tap(base, stride, c - k, n) + tap(base, stride, c + k, n)) * w[u32(r + k)];
  }
  dst[out] = acc;
}
`;
}
