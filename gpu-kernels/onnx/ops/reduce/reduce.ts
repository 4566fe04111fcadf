/** Host code for Softmax and ArgMax along one axis. */
import type { Binding } from '../../../runtime/device';
import { type Recorder, UniformWriter, prod } from '../common';
import { argmaxWgsl, softmaxWgsl } from './reduce.wgsl';

function lines(dims: number[], axis: number): [number, number, number] {
  const inner = prod(dims.slice(axis + 1));
  const len = dims[axis];
  return [prod(dims.slice(0, axis)) * inner, len, inner];
}

/**
 * Softmax along `axis`. `legacy` (opset < 13) flattens to 2-D at `axis`: the softmax runs over
 * all axes from `axis` on.
 */
export async function softmax(r: Recorder, x: Binding, y: Binding, dims: number[], axis: number, legacy: boolean): Promise<void> {
  const wg = r.ctx.workgroupSize1D(64);
  const pipe = await r.ctx.pipeline({ code: softmaxWgsl(wg), label: 'onnx.softmax' });
  const [n, len, inner] = legacy ? [prod(dims.slice(0, axis)), prod(dims.slice(axis)), 1] : lines(dims, axis);
  const u = r.uniform(new UniformWriter().u32(n, len, inner, 0));
  r.dispatch(pipe, [x, y, u], r.ctx.grid(n, wg));
}

/** ArgMax along `axis` into int32 indices (one per line). */
export async function argmax(r: Recorder, x: Binding, y: Binding, dims: number[], axis: number, selectLast: boolean): Promise<void> {
  const wg = r.ctx.workgroupSize1D(64);
  const pipe = await r.ctx.pipeline({ code: argmaxWgsl(wg, selectLast), label: 'onnx.argmax' });
  const [n, len, inner] = lines(dims, axis);
  const u = r.uniform(new UniformWriter().u32(n, len, inner, 0));
  r.dispatch(pipe, [x, y, u], r.ctx.grid(n, wg));
}
