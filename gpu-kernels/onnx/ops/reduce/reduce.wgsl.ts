/**
 * WGSL for ops along one axis: Softmax (max-subtracted, f32) and ArgMax (first maximum, or the last
 * with select_last_index). One invocation per line; a line is `len` values `inner` apart.
 */
import { linearHeader } from '../common';

const head = `struct U { lines: u32, len: u32, inner: u32, _p: u32 }`;
const base = `  let base = (idx / u.inner) * u.len * u.inner + idx % u.inner;`;

export function softmaxWgsl(wg: number): string {
  return `${head}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> u: U;
${linearHeader(wg, 'u.lines')}
${base}
  var m = x[base];
  for (var i = 1u; i < u.len; i++) { m = max(m, x[base + i * u.inner]); }
  var s = 0.0;
  for (var i = 0u; i < u.len; i++) { let e = exp(x[base + i * u.inner] - m); y[base + i * u.inner] = e; s += e; }
  let inv = 1.0 / s;
  for (var i = 0u; i < u.len; i++) { y[base + i * u.inner] = y[base + i * u.inner] * inv; }
}`;
}

export function argmaxWgsl(wg: number, selectLast: boolean): string {
  return `${head}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<i32>;
@group(0) @binding(2) var<uniform> u: U;
${linearHeader(wg, 'u.lines')}
${base}
  var m = x[base];
  var k = 0u;
  for (var i = 1u; i < u.len; i++) {
    let v = x[base + i * u.inner];
    if (v ${selectLast ? '>=' : '>'} m) { m = v; k = i; }
  }
  y[idx] = i32(k);
}`;
}
