/**
 * WGSL for farthest point sampling in ONE workgroup: each invocation owns points lid, lid + WG, …,
 * updates their running min distance `temp` and keeps its local (max, lowest index); a tree
 * reduction in workgroup memory takes the max with ties to the lowest index; invocation 0 records
 * the sample and broadcasts it (workgroupUniformLoad). All `count` iterations run in one dispatch.
 */
import { F32_MAX_WGSL, SQDIST_WGSL } from '../common';

export function fpsWgsl(workgroupSize: number): string {
  const wg = workgroupSize;
  return /* wgsl */ `
struct Params { n: u32, count: u32, start: u32, zero: u32 }
@group(0) @binding(0) var<storage, read> pos: array<f32>;
@group(0) @binding(1) var<storage, read_write> temp: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;
@group(0) @binding(3) var<uniform> P: Params;
var<workgroup> sv: array<f32, ${wg}>;
var<workgroup> si: array<u32, ${wg}>;
var<workgroup> chosen: u32;
${SQDIST_WGSL}

@compute @workgroup_size(${wg})
fn main(@builtin(local_invocation_index) lid: u32) {
  let n = P.n;
  for (var i = lid; i < n; i += ${wg}u) { temp[i] = ${F32_MAX_WGSL}; }
  if (lid == 0u) {
    out[0] = P.start;
    chosen = P.start;
  }
  var last = workgroupUniformLoad(&chosen);
  for (var j = 1u; j < P.count; j++) {
    let cx = pos[3u * last];
    let cy = pos[3u * last + 1u];
    let cz = pos[3u * last + 2u];
    var best = -1.0;
    var arg = 0u;
    for (var i = lid; i < n; i += ${wg}u) {
      let d = sqdist(pos[3u * i], pos[3u * i + 1u], pos[3u * i + 2u], cx, cy, cz, P.zero);
      var t = temp[i];
      if (d < t) {
        t = d;
        temp[i] = d;
      }
      if (t > best) {
        best = t;
        arg = i;
      }
    }
    sv[lid] = best;
    si[lid] = arg;
    workgroupBarrier();
    for (var s = ${wg / 2}u; s > 0u; s >>= 1u) {
      if (lid < s) {
        let v2 = sv[lid + s];
        let i2 = si[lid + s];
        let v1 = sv[lid];
        if (v2 > v1 || (v2 == v1 && i2 < si[lid])) {
          sv[lid] = v2;
          si[lid] = i2;
        }
      }
      workgroupBarrier();
    }
    if (lid == 0u) {
      chosen = si[0];
      out[j] = si[0];
    }
    last = workgroupUniformLoad(&chosen);
  }
}`;
}
