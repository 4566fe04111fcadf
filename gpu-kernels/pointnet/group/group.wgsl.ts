/**
 * WGSL for grouping: one invocation per output value of [m, k, 3 + C]: relative xyz (f32
 * subtraction, as the twin) or the neighbour's feature.
 */
import { linearIndexWgsl } from '../../runtime/device';

export function groupWgsl(workgroupSize: number): string {
  const wg = workgroupSize;
  return /* wgsl */ `
struct Params { total: u32, k: u32, c: u32, pad: u32 }
@group(0) @binding(0) var<storage, read> pos: array<f32>;
@group(0) @binding(1) var<storage, read> feat: array<f32>;
@group(0) @binding(2) var<storage, read> idx: array<u32>;
@group(0) @binding(3) var<storage, read> centres: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<uniform> P: Params;

@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = ${linearIndexWgsl(wg)};
  if (t >= P.total) { return; }
  let w = 3u + P.c;
  let row = t / w;
  let ch = t - row * w;
  let p = idx[row];
  if (ch < 3u) {
    out[t] = pos[3u * p + ch] - centres[3u * (row / P.k) + ch];
  } else {
    out[t] = feat[p * P.c + ch - 3u];
  }
}`;
}
