/**
 * WGSL for ball query: one invocation per centre scans the points in index order (the reference
 * CUDA loop), takes the first k with sqdist < r², pads with the first found; a row with no hit is
 * written as zeros (the host substitutes the centre's own index for index centres).
 */
import { linearIndexWgsl } from '../../runtime/device';
import { SQDIST_WGSL } from '../common';

export function ballQueryWgsl(workgroupSize: number): string {
  const wg = workgroupSize;
  return /* wgsl */ `
struct Params { n: u32, m: u32, k: u32, r2: f32, zero: u32 }
@group(0) @binding(0) var<storage, read> pos: array<f32>;
@group(0) @binding(1) var<storage, read> centres: array<f32>;
@group(0) @binding(2) var<storage, read_write> idx: array<u32>;
@group(0) @binding(3) var<storage, read_write> counts: array<u32>;
@group(0) @binding(4) var<uniform> P: Params;
${SQDIST_WGSL}

@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let j = ${linearIndexWgsl(wg)};
  if (j >= P.m) { return; }
  let cx = centres[3u * j];
  let cy = centres[3u * j + 1u];
  let cz = centres[3u * j + 2u];
  let k = P.k;
  let o = j * k;
  var cnt = 0u;
  for (var i = 0u; i < P.n && cnt < k; i++) {
    let d = sqdist(pos[3u * i], pos[3u * i + 1u], pos[3u * i + 2u], cx, cy, cz, P.zero);
    if (d < P.r2) {
      if (cnt == 0u) {
        for (var l = 0u; l < k; l++) { idx[o + l] = i; }
      }
      idx[o + cnt] = i;
      cnt++;
    }
  }
  if (cnt == 0u) {
    for (var l = 0u; l < k; l++) { idx[o + l] = 0u; }
  }
  counts[j] = cnt;
}`;
}
