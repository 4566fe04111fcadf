/// <reference types="@webgpu/types" />
/**
 * Shared host helpers for the ONNX op kernels: a recorder that collects dispatches (one compute
 * pass per model run) and the temporary uniform buffers to release afterwards, and a uniform
 * writer (u32 / f32 words).
 */
import type { Binding, ComputeStep, GpuContext } from '../../runtime/device';
import { linearIndexWgsl } from '../../runtime/device';

export class Recorder {
  readonly steps: ComputeStep[] = [];
  readonly temps: GPUBuffer[] = [];
  constructor(readonly ctx: GpuContext) {}

  /** Uniform buffer from words (kept until the run ends). */
  uniform(u: UniformWriter): GPUBuffer {
    const b = this.ctx.uniform(u.finish());
    this.temps.push(b);
    return b;
  }

  /** Storage buffer holding constant data (kept until the run ends). */
  upload(data: Float32Array | Uint32Array, label?: string): GPUBuffer {
    const b = this.ctx.upload(data, label);
    this.temps.push(b);
    return b;
  }

  dispatch(pipeline: GPUComputePipeline, bindings: Binding[], workgroups: [number, number, number?], label?: string): void {
    this.steps.push({ pipeline, bindGroup: this.ctx.bindGroup(pipeline, bindings, label), workgroups });
  }

  /** Runs the recorded steps (one compute pass) and releases temporaries. */
  async flush(label: string): Promise<void> {
    try {
      if (this.steps.length) await this.ctx.run(label, this.steps);
    } finally {
      this.ctx.release(...this.temps);
      this.steps.length = 0;
      this.temps.length = 0;
    }
  }
}

export class UniformWriter {
  private readonly words: number[] = [];
  private readonly isFloat: boolean[] = [];
  u32(...v: number[]): this {
    for (const x of v) { this.words.push(x >>> 0); this.isFloat.push(false); }
    return this;
  }
  f32(...v: number[]): this {
    for (const x of v) { this.words.push(x); this.isFloat.push(true); }
    return this;
  }
  /** Pads to a multiple of 4 words (vec4 alignment). */
  align4(): this {
    while (this.words.length % 4) this.u32(0);
    return this;
  }
  finish(): ArrayBuffer {
    this.align4();
    const buf = new ArrayBuffer(this.words.length * 4);
    const u = new Uint32Array(buf), f = new Float32Array(buf);
    this.words.forEach((w, i) => (this.isFloat[i] ? (f[i] = w) : (u[i] = w)));
    return buf;
  }
}

/** WGSL entry-point header for 1-D kernels: declares `idx` and returns when ≥ `count`. */
export function linearHeader(wg: number, count: string): string {
  return `@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let idx = ${linearIndexWgsl(wg)};
  if (idx >= ${count}) { return; }`;
}

/** Row-major strides of dims. */
export function stridesOf(dims: number[]): number[] {
  const s = Array(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) s[i] = s[i + 1] * dims[i + 1];
  return s;
}

export const prod = (d: number[]) => d.reduce((a, b) => a * b, 1);

/** Spatial dims of an N-C-spatial tensor padded at the front to 3 (1-D/2-D run as 3-D). */
export function spatial3(dims: number[]): [number, number, number] {
  const s = dims.slice(2);
  while (s.length < 3) s.unshift(1);
  return s as [number, number, number];
}
/** Per-axis params (kernel, stride, dilation) padded at the front to 3 with `fill`. */
export function pad3(v: number[], fill: number): [number, number, number] {
  const s = v.slice();
  while (s.length < 3) s.unshift(fill);
  return s as [number, number, number];
}
/** ONNX pads [b0..bn, e0..en] → begin pads padded to 3. */
export function padsBegin3(pads: number[]): [number, number, number] {
  return pad3(pads.slice(0, pads.length / 2), 0);
}

// ------------------------------------------------------------------ f16 (shader-f16) helpers

/** Largest finite f16. Kernels clamp values to ±F16_MAX before narrowing (no inf from overflow). */
export const F16_MAX = 65504;
/** Unit roundoff of f16 round-to-nearest: 2⁻¹¹ (relative error of one rounding of a normal value). */
export const F16_UNIT_ROUNDOFF = 2 ** -11;

const cvtF32 = new Float32Array(1);
const cvtU32 = new Uint32Array(cvtF32.buffer);

/** IEEE binary16 bits of `x` (round to nearest, ties to even; subnormals kept; overflow → ±inf). */
export function f16Bits(x: number): number {
  cvtF32[0] = x;
  const b = cvtU32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 112; // rebias 127 → 15
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1), half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1))) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1))) h++; // a carry into the exponent is correct (→ inf at the top)
  return sign | h;
}

/** The value of f16 bits. */
export function f16Value(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 0x1f) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

/**
 * `values` as f16, two per u32 word (element 2k in the low half: the layout of a WGSL
 * `array<f16>` on little-endian hosts), zero-padded to an even count.
 */
export function packF16(values: Float32Array): Uint32Array {
  const h = new Uint16Array(values.length + (values.length & 1));
  for (let i = 0; i < values.length; i++) h[i] = f16Bits(values[i]);
  return new Uint32Array(h.buffer);
}
