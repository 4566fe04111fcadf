/** Host code for Resize (nearest, linear). */
import type { Binding } from '../../../runtime/device';
import { type Recorder, UniformWriter, pad3, prod, spatial3 } from '../common';
import { COORD_MODES, NEAREST_MODES, resizeWgsl } from './resize.wgsl';

export async function resize(
  r: Recorder, x: Binding, xDims: number[], y: Binding, yDims: number[],
  p: { mode: 'nearest' | 'linear'; coord: string; nearest: string; scales: number[] },
): Promise<void> {
  const wg = r.ctx.workgroupSize1D(64);
  const pipe = await r.ctx.pipeline({ code: resizeWgsl(wg, p.mode === 'linear'), label: `onnx.resize.${p.mode}` });
  const total = prod(yDims);
  const u = new UniformWriter()
    .u32(...spatial3(xDims), xDims[0] * xDims[1])
    .u32(...spatial3(yDims), total)
    .f32(...pad3(p.scales.slice(2), 1))
    .u32(Math.max(0, COORD_MODES.indexOf(p.coord)))
    .u32(Math.max(0, NEAREST_MODES.indexOf(p.nearest)), 0, 0, 0);
  r.dispatch(pipe, [x, y, r.uniform(u)], r.ctx.grid(total, wg));
}
