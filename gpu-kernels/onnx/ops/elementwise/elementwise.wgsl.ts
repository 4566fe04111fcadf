/**
 * WGSL for elementwise ops: activations (also injected into conv kernels for fusion), per-channel
 * affine (standalone BatchNormalization), broadcasting binary ops, and a strided copy used by
 * Transpose, Concat and tile cropping.
 */
import type { ActKind, BinaryKind } from '../../graph';
import { linearHeader } from '../common';

/** `fn act(v, alpha, beta) -> f32` for the activation kind. */
export function actWgsl(kind: ActKind): string {
  const body: Record<ActKind, string> = {
    none: 'return v;',
    relu: 'return max(v, 0.0);',
    leakyrelu: 'return select(v * alpha, v, v >= 0.0);',
    elu: 'return select(alpha * (exp(v) - 1.0), v, v > 0.0);',
    // erf via Abramowitz–Stegun 7.1.26 (|err| ≤ 1.5e-7)
    gelu: `let z = abs(v) * 0.7071067811865476;
  let t = 1.0 / (1.0 + 0.3275911 * z);
  let y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-z * z);
  let e = select(-y, y, v >= 0.0);
  return 0.5 * v * (1.0 + e);`,
    gelu_tanh: 'let u = clamp(0.7978845608028654 * (v + 0.044715 * v * v * v), -15.0, 15.0);\n  return 0.5 * v * (1.0 + tanh(u));',
    sigmoid: 'return 1.0 / (1.0 + exp(-clamp(v, -88.0, 88.0)));',
    tanh: 'return tanh(clamp(v, -15.0, 15.0));',
    clip: 'return clamp(v, alpha, beta);',
  };
  return `fn act(v: f32, alpha: f32, beta: f32) -> f32 {\n  ${body[kind]}\n}\n`;
}

export const ACT_CODES: ActKind[] = ['none', 'relu', 'leakyrelu', 'elu', 'gelu', 'gelu_tanh', 'sigmoid', 'tanh', 'clip'];

/**
 * `fn act(v, alpha, beta) -> f32` choosing the activation at run time from `code` (an index into
 * ACT_CODES, read from the uniform expression `codeExpr`): one compiled pipeline serves every
 * activation (used by the tiled conv, whose compile is the expensive one on software Vulkan).
 */
export function actDynamicWgsl(codeExpr: string): string {
  const cases = ACT_CODES.map((k, i) => {
    const fn = actWgsl(k).replace('fn act(', `fn act_${k}(`);
    return { fn, line: `    case ${i}u: { return act_${k}(v, alpha, beta); }` };
  });
  return `${cases.map((c) => c.fn).join('')}fn act(v: f32, alpha: f32, beta: f32) -> f32 {
  switch ${codeExpr} {
${cases.map((c) => c.line).join('\n')}
    default: { return v; }
  }
}
`;
}

export function unaryWgsl(wg: number, kind: ActKind): string {
  return `struct U { n: u32, _p: u32, alpha: f32, beta: f32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> u: U;
${actWgsl(kind)}
${linearHeader(wg, 'u.n')}
  y[idx] = act(x[idx], u.alpha, u.beta);
}`;
}

export function affineWgsl(wg: number): string {
  return `struct U { n: u32, c: u32, inner: u32, _p: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read> scale: array<f32>;
@group(0) @binding(3) var<storage, read> shift: array<f32>;
@group(0) @binding(4) var<uniform> u: U;
${linearHeader(wg, 'u.n')}
  let c = (idx / u.inner) % u.c;
  y[idx] = x[idx] * scale[c] + shift[c];
}`;
}

export const MAX_RANK = 8;

const binExpr: Record<BinaryKind, string> = { add: 'a + b', sub: 'a - b', mul: 'a * b', div: 'a / b' };

/** Broadcasting binary op; dims and strides (0 on broadcast axes) travel in the uniform. */
export function binaryWgsl(wg: number, fn: BinaryKind): string {
  return `struct U { n: u32, rank: u32, _p0: u32, _p1: u32, dims: array<vec4u, 2>, sa: array<vec4u, 2>, sb: array<vec4u, 2> }
@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
@group(0) @binding(3) var<uniform> u: U;
${linearHeader(wg, 'u.n')}
  var rem = idx;
  var ia = 0u;
  var ib = 0u;
  for (var d = i32(u.rank) - 1; d >= 0; d--) {
    let dim = u.dims[d / 4][d % 4];
    let c = rem % dim;
    rem = rem / dim;
    ia += c * u.sa[d / 4][d % 4];
    ib += c * u.sb[d / 4][d % 4];
  }
  let a = A[ia];
  let b = B[ib];
  Y[idx] = ${binExpr[fn]};
}`;
}

/** dst[dstBase + Σ c·dstStride] = src[srcBase + Σ c·srcStride] over the index space `dims`. */
export function copyWgsl(wg: number): string {
  return `struct U { n: u32, rank: u32, srcBase: u32, dstBase: u32, dims: array<vec4u, 2>, ss: array<vec4u, 2>, ds: array<vec4u, 2> }
@group(0) @binding(0) var<storage, read> S: array<u32>;
@group(0) @binding(1) var<storage, read_write> D: array<u32>;
@group(0) @binding(2) var<uniform> u: U;
${linearHeader(wg, 'u.n')}
  var rem = idx;
  var is = u.srcBase;
  var id = u.dstBase;
  for (var d = i32(u.rank) - 1; d >= 0; d--) {
    let dim = u.dims[d / 4][d % 4];
    let c = rem % dim;
    rem = rem / dim;
    is += c * u.ss[d / 4][d % 4];
    id += c * u.ds[d / 4][d % 4];
  }
  D[id] = S[is];
}`;
}
