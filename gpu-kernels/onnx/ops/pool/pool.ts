/** Host code for MaxPool / AveragePool (1-D to 3-D). */
import type { Binding } from '../../../runtime/device';
import { type Recorder, UniformWriter, pad3, padsBegin3, prod, spatial3 } from '../common';
import { poolWgsl } from './pool.wgsl';

export interface PoolParams { max: boolean; kernel: number[]; strides: number[]; pads: number[]; dilations: number[]; countIncludePad: boolean }

export async function pool(r: Recorder, x: Binding, xDims: number[], y: Binding, yDims: number[], p: PoolParams): Promise<void> {
  const wg = r.ctx.workgroupSize1D(64);
  const pipe = await r.ctx.pipeline({ code: poolWgsl(wg, p.max), label: `onnx.${p.max ? 'max' : 'avg'}pool` });
  const [iD, iH, iW] = spatial3(xDims), [oD, oH, oW] = spatial3(yDims);
  const total = prod(yDims);
  const sp = p.kernel.length;
  const endPads = pad3(p.pads.slice(sp), 0);
  const u = new UniformWriter()
    .u32(iD, iH, iW, xDims[0] * xDims[1], oD, oH, oW, total)
    .u32(...pad3(p.kernel, 1), p.countIncludePad ? 1 : 0)
    .u32(...pad3(p.strides, 1), 0)
    .u32(...pad3(p.dilations, 1), 0)
    .u32(...padsBegin3(p.pads).map((v) => v >>> 0), 0)
    .u32(...endPads.map((v) => v >>> 0), 0);
  r.dispatch(pipe, [x, y, r.uniform(u)], r.ctx.grid(total, wg));
}
