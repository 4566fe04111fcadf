/**
 * Host code for ONNX InstanceNormalization (x: [N, C, spatial…]; scale, bias: [C]): per (n, c), the
 * mean and population variance over all spatial positions. `instanceNormCpu` is its CPU twin (f64
 * accumulation), the reference the kernel's tests use beside onnxruntime.
 *
 * The statistics span the whole spatial extent, so a graph with this op is not tileable: the
 * executor's receptive-field check names it when a value exceeds a storage binding (run such
 * models with a sliding window: the card's `input.window`).
 */
import type { Binding } from '../../../runtime/device';
import { type Recorder, UniformWriter, prod } from '../common';
import { instanceNormWgsl } from './instance-norm.wgsl';

export async function instanceNorm(r: Recorder, x: Binding, y: Binding, dims: number[], scale: Float32Array, bias: Float32Array, eps: number): Promise<void> {
  const wg = r.ctx.workgroupSize1D(256);
  const pipe = await r.ctx.pipeline({ code: instanceNormWgsl(wg), label: 'onnx.instanceNorm' });
  const lines = dims[0] * dims[1];
  const len = prod(dims.slice(2));
  const u = r.uniform(new UniformWriter().u32(lines, len, dims[1]).f32(eps));
  r.dispatch(pipe, [x, y, r.upload(scale), r.upload(bias), u], r.ctx.grid(lines * wg, wg));
}

/** CPU twin: y = (x − mean) · scale[c] / sqrt(var + eps) + bias[c] per (n, c) over the spatial axes. */
export function instanceNormCpu(x: Float32Array, dims: number[], scale: ArrayLike<number>, bias: ArrayLike<number>, eps: number): Float32Array {
  const [n, c] = dims;
  const len = prod(dims.slice(2));
  const y = new Float32Array(x.length);
  for (let line = 0; line < n * c; line++) {
    const base = line * len;
    let s = 0;
    for (let i = 0; i < len; i++) s += x[base + i];
    const mean = s / len;
    let q = 0;
    for (let i = 0; i < len; i++) q += (x[base + i] - mean) ** 2;
    const a = scale[line % c] / Math.sqrt(q / len + eps);
    const b = bias[line % c] - mean * a;
    for (let i = 0; i < len; i++) y[base + i] = x[base + i] * a + b;
  }
  return y;
}
