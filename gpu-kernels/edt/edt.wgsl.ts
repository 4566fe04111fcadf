/**
 * WGSL for one separable EDT pass: one invocation per line along the pass axis, Felzenszwalb–
 * Huttenlocher lower envelope of parabolas `f(q) + w²(p − q)²` over the line's sites (entries below
 * BIG). The x pass reads the binary mask packed 4 voxels per u32 (site = background voxel, f = 0);
 * later passes read squared distances. The envelope's vertex list lives in `vbuf` at the line's own
 * voxel positions; breakpoints are recomputed from it, so no second scratch array is needed.
 *
 * Line `l` starts at `(l % d0) * m0 + (l / d0) * m1` and steps by `stride` (shapes travel in the
 * uniform, so one pipeline serves every volume and slab).
 */
export interface EdtPassSpec {
  workgroupSize: number;
  /** The x pass: `src` is the packed u8 mask instead of f32 squared distances. */
  fromMask: boolean;
  /** Last pass: write sqrt of the squared distance. */
  finalSqrt: boolean;
}

/** Sentinel for "no site reachable yet" (f32 max; the host maps it to +Infinity). */
export const EDT_BIG = 3.4028234663852886e38;

/** Uniform layout (8 × 4 bytes). */
export function edtUniform(u: { n: number; stride: number; lines: number; d0: number; m0: number; m1: number; w2: number }): ArrayBuffer {
  const buf = new ArrayBuffer(32);
  const dv = new DataView(buf);
  [u.n, u.stride, u.lines, u.d0, u.m0, u.m1].forEach((v, i) => dv.setUint32(4 * i, v, true));
  dv.setFloat32(24, u.w2, true);
  dv.setFloat32(28, EDT_BIG, true);
  return buf;
}

export function edtPassWgsl(spec: EdtPassSpec): string {
  const wg = spec.workgroupSize;
  const site = spec.fromMask
    ? `fn site(i: u32) -> f32 {
  let b = (src[i >> 2u] >> ((i & 3u) * 8u)) & 0xffu;
  return select(P.big, 0.0, b == 0u);
}`
    : `fn site(i: u32) -> f32 { return src[i]; }`;
  return /* wgsl */ `
struct Params { n: u32, stride: u32, lines: u32, d0: u32, m0: u32, m1: u32, w2: f32, big: f32 }
@group(0) @binding(0) var<storage, read> src: array<${spec.fromMask ? 'u32' : 'f32'}>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<storage, read_write> vbuf: array<u32>;
@group(0) @binding(3) var<uniform> P: Params;

${site}

// Abscissa where the parabola rooted at b (b > a) becomes lower than the one rooted at a.
fn isect(a: u32, fa: f32, b: u32, fb: f32) -> f32 {
  let af = f32(a);
  let bf = f32(b);
  return (fb - fa) / (2.0 * P.w2 * (bf - af)) + 0.5 * (af + bf);
}

@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let line = gid.x + gid.y * (nwg.x * ${wg}u);
  if (line >= P.lines) { return; }
  let base = (line % P.d0) * P.m0 + (line / P.d0) * P.m1;
  let st = P.stride;
  let n = P.n;

  // Build the lower envelope.
  var k: i32 = -1;
  var vtop: u32 = 0u;
  var ftop: f32 = 0.0;
  var ztop: f32 = -P.big;
  for (var q: u32 = 0u; q < n; q++) {
    let fq = site(base + q * st);
    if (fq >= P.big) { continue; }
    if (k < 0) {
      k = 0;
      vbuf[base] = q;
      vtop = q;
      ftop = fq;
      ztop = -P.big;
      continue;
    }
    var s: f32 = 0.0;
    loop {
      s = isect(vtop, ftop, q, fq);
      if (k > 0 && s <= ztop) {
        k--;
        vtop = vbuf[base + u32(k) * st];
        ftop = site(base + vtop * st);
        if (k > 0) {
          let vp = vbuf[base + u32(k - 1) * st];
          ztop = isect(vp, site(base + vp * st), vtop, ftop);
        } else {
          ztop = -P.big;
        }
      } else {
        break;
      }
    }
    k++;
    vbuf[base + u32(k) * st] = q;
    vtop = q;
    ftop = fq;
    ztop = s;
  }
  if (k < 0) {
    for (var q: u32 = 0u; q < n; q++) { dst[base + q * st] = P.big; }
    return;
  }

  // Evaluate it.
  let m = k;
  var j: i32 = 0;
  var vj = vbuf[base];
  var fj = site(base + vj * st);
  var vn: u32 = 0u;
  var fn1: f32 = 0.0;
  var znext: f32 = P.big;
  if (m > 0) {
    vn = vbuf[base + st];
    fn1 = site(base + vn * st);
    znext = isect(vj, fj, vn, fn1);
  }
  for (var q: u32 = 0u; q < n; q++) {
    let qf = f32(q);
    loop {
      if (!(znext < qf)) { break; }
      j++;
      vj = vn;
      fj = fn1;
      if (j < m) {
        vn = vbuf[base + u32(j + 1) * st];
        fn1 = site(base + vn * st);
        znext = isect(vj, fj, vn, fn1);
      } else {
        znext = P.big;
      }
    }
    let dq = qf - f32(vj);
    let d = P.w2 * dq * dq + fj;
    dst[base + q * st] = ${spec.finalSqrt ? 'sqrt(d)' : 'd'};
  }
}
`;
}
