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
