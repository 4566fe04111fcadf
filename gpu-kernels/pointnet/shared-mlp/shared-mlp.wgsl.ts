/**
 * WGSL for the shared MLP: `mlpLayerWgsl` — one invocation per (row, output channel):
 * relu(b[o] + Σ_i w[o, i] · x[row, i]) (f32 sums); `maxPoolWgsl` — one invocation per (group,
 * channel): max over the k rows of the group.
 */
import { linearIndexWgsl } from '../../runtime/device';

export function mlpLayerWgsl(workgroupSize: number): string {
  const wg = workgroupSize;
  return /* wgsl */ `
struct Params { rows: u32, cin: u32, cout: u32, relu: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> P: Params;

@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = ${linearIndexWgsl(wg)};
  if (t >= P.rows * P.cout) { return; }
  let r = t / P.cout;
  let o = t - r * P.cout;
  let xo = r * P.cin;
  let wo = o * P.cin;
  var s = b[o];
  for (var i = 0u; i < P.cin; i++) { s += w[wo + i] * x[xo + i]; }
  if (P.relu != 0u && s < 0.0) { s = 0.0; }
  y[t] = s;
}`;
}

export function maxPoolWgsl(workgroupSize: number): string {
  const wg = workgroupSize;
  return /* wgsl */ `
struct Params { m: u32, k: u32, c: u32, pad: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> P: Params;

@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = ${linearIndexWgsl(wg)};
  if (t >= P.m * P.c) { return; }
  let j = t / P.c;
  let ch = t - j * P.c;
  var v = x[(j * P.k) * P.c + ch];
  for (var s = 1u; s < P.k; s++) { v = max(v, x[(j * P.k + s) * P.c + ch]); }
  y[t] = v;
}`;
}
