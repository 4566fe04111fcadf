/**
 * WGSL for flat-kernel mean shift, one invocation per point, all iterations in one dispatch: the
 * point starts at its own position and repeatedly moves to the mean of the ORIGINAL points whose
 * f32 squared distance (`sqdist`, the twin's `dist2`) to its current position is < bandwidth²
 * (strict), until it moves less than the tolerance (squared, `tol2`) or `maxIter` steps — the update
 * rule of `lib/pointnet/model/mean-shift.ts`. The twin sums the points in f64; WGSL has no f64, so
 * the sum here is of the offsets p − c (each < bandwidth), in f32 in index order, and the new
 * position is c + Σ(p − c) / count: its error is ≈ ε·bandwidth, a few ulps of the twin's mode.
 */
import { SQDIST_WGSL } from '../common';
import { linearIndexWgsl } from '../../runtime/device';

export function meanShiftWgsl(workgroupSize: number): string {
  const wg = workgroupSize;
  return /* wgsl */ `
struct Params { n: u32, maxIter: u32, b2: f32, tol2: f32, zero: u32 }
@group(0) @binding(0) var<storage, read> pos: array<f32>;
@group(0) @binding(1) var<storage, read_write> modes: array<f32>;
@group(0) @binding(2) var<storage, read_write> iters: array<u32>;
@group(0) @binding(3) var<uniform> P: Params;
${SQDIST_WGSL}

@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = ${linearIndexWgsl(wg)};
  let n = P.n;
  if (i >= n) { return; }
  var cx = pos[3u * i];
  var cy = pos[3u * i + 1u];
  var cz = pos[3u * i + 2u];
  var steps = 0u;
  for (var it = 0u; it < P.maxIter; it++) {
    var sx = 0.0;
    var sy = 0.0;
    var sz = 0.0;
    var count = 0u;
    for (var j = 0u; j < n; j++) {
      let px = pos[3u * j];
      let py = pos[3u * j + 1u];
      let pz = pos[3u * j + 2u];
      if (sqdist(px, py, pz, cx, cy, cz, P.zero) < P.b2) {
        sx += px - cx;
        sy += py - cy;
        sz += pz - cz;
        count++;
      }
    }
    if (count == 0u) { break; }
    steps++;
    let fc = f32(count);
    let nx = cx + sx / fc;
    let ny = cy + sy / fc;
    let nz = cz + sz / fc;
    let moved = sqdist(nx, ny, nz, cx, cy, cz, P.zero);
    cx = nx;
    cy = ny;
    cz = nz;
    if (moved < P.tol2) { break; }
  }
  modes[3u * i] = cx;
  modes[3u * i + 1u] = cy;
  modes[3u * i + 2u] = cz;
  iters[i] = steps;
}`;
}
