/**
 * WGSL for 3-NN inverse-distance interpolation: one invocation per unknown point scans the known
 * points in index order keeping the three smallest sqdist (strict <, as the twin), writes their
 * indices and squared distances, then the weighted sum (w = 1 / (d² + 1e-8), normalised) per channel.
 */
import { linearIndexWgsl } from '../../runtime/device';
import { F32_MAX_WGSL, SQDIST_WGSL } from '../common';

export function interpolateWgsl(workgroupSize: number): string {
  const wg = workgroupSize;
  return /* wgsl */ `
struct Params { n: u32, m: u32, c: u32, zero: u32 }
@group(0) @binding(0) var<storage, read> unknown: array<f32>;
@group(0) @binding(1) var<storage, read> known: array<f32>;
@group(0) @binding(2) var<storage, read> feat: array<f32>;
@group(0) @binding(3) var<storage, read_write> nn: array<u32>;
@group(0) @binding(4) var<storage, read_write> d2: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;
@group(0) @binding(6) var<uniform> P: Params;
${SQDIST_WGSL}

@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let u = ${linearIndexWgsl(wg)};
  if (u >= P.n) { return; }
  let ux = unknown[3u * u];
  let uy = unknown[3u * u + 1u];
  let uz = unknown[3u * u + 2u];
  var b1 = ${F32_MAX_WGSL};
  var b2 = ${F32_MAX_WGSL};
  var b3 = ${F32_MAX_WGSL};
  var i1 = 0u;
  var i2 = 0u;
  var i3 = 0u;
  for (var q = 0u; q < P.m; q++) {
    let d = sqdist(known[3u * q], known[3u * q + 1u], known[3u * q + 2u], ux, uy, uz, P.zero);
    if (d < b1) {
      b3 = b2; i3 = i2;
      b2 = b1; i2 = i1;
      b1 = d; i1 = q;
    } else if (d < b2) {
      b3 = b2; i3 = i2;
      b2 = d; i2 = q;
    } else if (d < b3) {
      b3 = d; i3 = q;
    }
  }
  nn[3u * u] = i1; nn[3u * u + 1u] = i2; nn[3u * u + 2u] = i3;
  d2[3u * u] = b1; d2[3u * u + 1u] = b2; d2[3u * u + 2u] = b3;
  let w1 = 1.0 / (b1 + 1e-8);
  let w2 = 1.0 / (b2 + 1e-8);
  let w3 = 1.0 / (b3 + 1e-8);
  let norm = w1 + w2 + w3;
  let a = w1 / norm;
  let b = w2 / norm;
  let c = w3 / norm;
  let C = P.c;
  for (var ch = 0u; ch < C; ch++) {
    out[u * C + ch] = a * feat[i1 * C + ch] + b * feat[i2 * C + ch] + c * feat[i3 * C + ch];
  }
}`;
}
