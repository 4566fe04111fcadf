/**
 * WGSL for Resize (nearest / linear) over the 1–3 spatial axes of N-C-spatial tensors (leading
 * unit axes for 1-D/2-D). Coordinate transformation: 0 half_pixel, 1 asymmetric, 2 align_corners,
 * 3 pytorch_half_pixel, 4 half_pixel_symmetric. Nearest rounding: 0 round_prefer_floor,
 * 1 round_prefer_ceil, 2 floor, 3 ceil. Linear clamps the source coordinate to the input, as
 * onnxruntime does.
 */
import { linearHeader } from '../common';

export const COORD_MODES = ['half_pixel', 'asymmetric', 'align_corners', 'pytorch_half_pixel', 'half_pixel_symmetric'];
export const NEAREST_MODES = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];

export function resizeWgsl(wg: number, linear: boolean): string {
  return `struct U {
  inS: vec3u, nc: u32,
  outS: vec3u, total: u32,
  scale: vec3f, coord: u32,
  nearest: u32, _p0: u32, _p1: u32, _p2: u32,
}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> u: U;

fn src(o: u32, a: u32) -> f32 {
  let s = u.scale[a];
  let inL = f32(u.inS[a]);
  let outL = f32(u.outS[a]);
  let oc = f32(o);
  switch u.coord {
    case 1u: { return oc / s; }
    case 2u: { if (u.outS[a] == 1u) { return 0.0; } return oc * (inL - 1.0) / (outL - 1.0); }
    case 3u: { if (u.outS[a] == 1u) { return 0.0; } return (oc + 0.5) / s - 0.5; }
    case 4u: { let adj = outL / (s * inL); let off = inL * 0.5 * (1.0 - adj); return off + (oc + 0.5) / s - 0.5; }
    default: { return (oc + 0.5) / s - 0.5; }
  }
}

fn nearestIndex(c: f32, a: u32) -> u32 {
  var i: f32;
  switch u.nearest {
    case 1u: { i = select(round(c), ceil(c), fract(c) == 0.5); }
    case 2u: { i = floor(c); }
    case 3u: { i = ceil(c); }
    default: { i = select(round(c), floor(c), fract(c) == 0.5); }
  }
  return u32(clamp(i, 0.0, f32(u.inS[a] - 1u)));
}

fn at(base: u32, z: u32, yy: u32, xx: u32) -> f32 {
  return x[base + (z * u.inS.y + yy) * u.inS.z + xx];
}

${linearHeader(wg, 'u.total')}
  let ox = idx % u.outS.z;
  let oy = (idx / u.outS.z) % u.outS.y;
  let oz = (idx / (u.outS.z * u.outS.y)) % u.outS.x;
  let nc = idx / (u.outS.z * u.outS.y * u.outS.x);
  let base = nc * u.inS.x * u.inS.y * u.inS.z;
${linear ? `  var i0: vec3u;
  var i1: vec3u;
  var w: vec3f;
  let o = vec3u(oz, oy, ox);
  for (var a = 0u; a < 3u; a++) {
    let c = clamp(src(o[a], a), 0.0, f32(u.inS[a] - 1u));
    let f = floor(c);
    i0[a] = u32(f);
    i1[a] = min(i0[a] + 1u, u.inS[a] - 1u);
    w[a] = c - f;
  }
  let c00 = mix(at(base, i0.x, i0.y, i0.z), at(base, i0.x, i0.y, i1.z), w.z);
  let c01 = mix(at(base, i0.x, i1.y, i0.z), at(base, i0.x, i1.y, i1.z), w.z);
  let c10 = mix(at(base, i1.x, i0.y, i0.z), at(base, i1.x, i0.y, i1.z), w.z);
  let c11 = mix(at(base, i1.x, i1.y, i0.z), at(base, i1.x, i1.y, i1.z), w.z);
  y[idx] = mix(mix(c00, c01, w.y), mix(c10, c11, w.y), w.x);`
    : `  y[idx] = at(base, nearestIndex(src(oz, 0u), 0u), nearestIndex(src(oy, 1u), 1u), nearestIndex(src(ox, 2u), 2u));`}
}`;
}
