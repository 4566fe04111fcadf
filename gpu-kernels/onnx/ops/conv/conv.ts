/// <reference types="@webgpu/types" />
/**
 * Host code for Conv (generic and the tiled 3-D fast path) and ConvTranspose. Weights are
 * repacked once per weight array (cached) into vec4s of 4 output channels, zero-padded.
 */
import type { Binding } from '../../../runtime/device';
import type { Act } from '../../graph';
import { type Recorder, UniformWriter, pad3, padsBegin3, prod, spatial3 } from '../common';
import { ACT_CODES } from '../elementwise/elementwise.wgsl';
import { type TiledSpec, convGenericWgsl, convTiledWgsl, convTransposeWgsl } from './conv.wgsl';

export interface ConvParams {
  w: Float32Array; wDims: number[]; b: Float32Array; strides: number[]; pads: number[]; dilations: number[]; group: number; act: Act;
}

const packCache = new WeakMap<Float32Array, Map<string, { w: Float32Array; b: Float32Array }>>();
function cached(w: Float32Array, key: string, make: () => { w: Float32Array; b: Float32Array }) {
  let m = packCache.get(w);
  if (!m) packCache.set(w, (m = new Map()));
  let v = m.get(key);
  if (!v) m.set(key, (v = make()));
  return v;
}

/** Which conv kernel a node gets ('tiled' = the workgroup-memory 3-D path). */
export function convPath(p: ConvParams, ctxLimits: { maxComputeWorkgroupStorageSize: number }): 'tiled' | 'generic' {
  const sp = p.wDims.length - 2;
  const k = p.wDims.slice(2);
  const tileBytes = (4 + k[0] - 1) * (8 + k[1] - 1) * (8 + k[2] - 1) * 4;
  // 1×1×1 kernels gain nothing from a halo tile: the generic kernel (no barriers) serves them.
  return sp === 3 && p.group === 1 && p.strides.every((s) => s === 1) && k.every((v) => v <= 7) && prod(k) > 1 &&
    tileBytes <= ctxLimits.maxComputeWorkgroupStorageSize ? 'tiled' : 'generic';
}

export async function conv(r: Recorder, x: Binding, xDims: number[], y: Binding, yDims: number[], p: ConvParams, forceGeneric = false): Promise<'tiled' | 'generic'> {
  const path = forceGeneric ? 'generic' : convPath(p, r.ctx.limits);
  if (path === 'tiled') await convTiled(r, x, xDims, y, yDims, p);
  else await convGeneric(r, x, xDims, y, yDims, p);
  return path;
}

async function convGeneric(r: Recorder, x: Binding, xDims: number[], y: Binding, yDims: number[], p: ConvParams): Promise<void> {
  const wg = r.ctx.workgroupSize1D(64);
  const pipe = await r.ctx.pipeline({ code: convGenericWgsl(wg, p.act.kind), label: `onnx.conv.${p.act.kind}` });
  const [cout, icg] = p.wDims;
  const ocg = cout / p.group;
  const ocb = Math.ceil(ocg / 4);
  const kvol = prod(p.wDims.slice(2));
  const packed = cached(p.w, 'generic', () => {
    const w = new Float32Array(p.group * ocb * icg * kvol * 4);
    const b = new Float32Array(p.group * ocb * 4);
    for (let g = 0; g < p.group; g++) for (let ob = 0; ob < ocb; ob++) for (let j = 0; j < 4; j++) {
      const ocl = ob * 4 + j;
      if (ocl >= ocg) continue;
      const oc = g * ocg + ocl;
      b[(g * ocb + ob) * 4 + j] = p.b[oc];
      for (let ic = 0; ic < icg; ic++) for (let t = 0; t < kvol; t++) w[(((g * ocb + ob) * icg + ic) * kvol + t) * 4 + j] = p.w[(oc * icg + ic) * kvol + t];
    }
    return { w, b };
  });
  const total = yDims[0] * p.group * ocb * prod(yDims.slice(2));
  const u = new UniformWriter()
    .u32(...spatial3(xDims), xDims[1]).u32(...spatial3(yDims), cout)
    .u32(...pad3(p.wDims.slice(2), 1), p.group).u32(...pad3(p.strides, 1), icg)
    .u32(...pad3(p.dilations, 1), ocg).u32(...padsBegin3(p.pads).map((v) => v >>> 0), ocb)
    .u32(total, 0).f32(p.act.alpha, p.act.beta);
  r.dispatch(pipe, [x, r.upload(packed.w), r.upload(packed.b), y, r.uniform(u)], r.ctx.grid(total, wg));
}

async function convTiled(r: Recorder, x: Binding, xDims: number[], y: Binding, yDims: number[], p: ConvParams): Promise<void> {
  const [cout, cin] = p.wDims;
  const [kz, ky, kx] = p.wDims.slice(2);
  // Tile edges per axis (on the dilation lattice) chosen to waste the fewest invocations.
  const outS0 = spatial3(yDims);
  const dil0 = pad3(p.dilations, 1);
  const pick = (o: number, d: number, opts: number[]) => {
    const L = Math.ceil(o / d);
    return opts.reduce((best, t) => (Math.ceil(L / t) * t - L < Math.ceil(L / best) * best - L ? t : best));
  };
  // (few variants: every distinct tile shape is one more pipeline to compile)
  const txy = Math.min(pick(outS0[2], dil0[2], [8, 4]), pick(outS0[1], dil0[1], [8, 4]));
  const tx = txy, ty = txy, vz = 4;
  const tile = (vz + kz - 1) * (ty + ky - 1) * (tx + kx - 1);
  const nOG = Math.ceil(cout / TILED_MAX_OCB);
  const ocb = Math.ceil(cout / nOG);
  // Channels staged per barrier pair: bounded by workgroup memory and by icb·ocb ≤ 36 (drivers
  // unroll the channel × tap loops; a larger body mostly costs compile time).
  const maxIcb = Math.max(1, Math.min(8, Math.floor(36 / ocb), Math.floor(r.ctx.limits.maxComputeWorkgroupStorageSize / (tile * 4))));
  const icb = Math.ceil(cin / Math.ceil(cin / maxIcb));
  const cinP = Math.ceil(cin / icb) * icb;
  const kvol = kz * ky * kx;
  const spec: TiledSpec = { tx, ty, vz, kz, ky, kx, icb, ocb };
  const pipe = await r.ctx.pipeline({ code: convTiledWgsl(spec), label: 'onnx.conv3d.tiled' });
  const packed = cached(p.w, `tiled:${ocb}:${nOG}:${cinP}`, () => {
    const w = new Float32Array(nOG * cinP * kvol * ocb);
    const b = new Float32Array(nOG * ocb);
    for (let og = 0; og < nOG; og++) for (let o = 0; o < ocb; o++) {
      const oc = og * ocb + o;
      if (oc >= cout) continue;
      b[og * ocb + o] = p.b[oc];
      for (let ic = 0; ic < cin; ic++) for (let t = 0; t < kvol; t++) w[((og * cinP + ic) * kvol + t) * ocb + o] = p.w[(oc * cin + ic) * kvol + t];
    }
    return { w, b };
  });
  const outS = spatial3(yDims);
  const dil = pad3(p.dilations, 1);
  const T = [vz, ty, tx];
  const rc = outS.map((o, a) => Math.min(dil[a], o));
  const nb = outS.map((o, a) => Math.ceil(Math.ceil(o / dil[a]) / T[a]));
  const u = new UniformWriter()
    .u32(...spatial3(xDims), cin).u32(...outS, cout)
    .u32(...dil, nOG).u32(...padsBegin3(p.pads).map((v) => v >>> 0), xDims[0])
    .u32(...nb, cinP).u32(...rc, ACT_CODES.indexOf(p.act.kind))
    .f32(p.act.alpha, p.act.beta).u32(icb, 0);
  const groups: [number, number, number] = [rc[2] * nb[2], rc[1] * nb[1], rc[0] * nb[0] * nOG * xDims[0]];
  r.dispatch(pipe, [x, r.upload(packed.w), r.upload(packed.b), y, r.uniform(u)], groups);
}

/** Output channels one invocation of the tiled kernel accumulates at most. */
export const TILED_MAX_OCB = 12;

export interface ConvTParams extends ConvParams { outputPadding: number[] }

export async function convTranspose(r: Recorder, x: Binding, xDims: number[], y: Binding, yDims: number[], p: ConvTParams): Promise<void> {
  const wg = r.ctx.workgroupSize1D(64);
  const pipe = await r.ctx.pipeline({ code: convTransposeWgsl(wg, p.act.kind), label: `onnx.convT.${p.act.kind}` });
  const [cin, ocg] = p.wDims;
  const cout = ocg * p.group;
  const total = prod(yDims);
  const u = new UniformWriter()
    .u32(...spatial3(xDims), cin).u32(...spatial3(yDims), cout)
    .u32(...pad3(p.wDims.slice(2), 1), p.group).u32(...pad3(p.strides, 1), cin / p.group)
    .u32(...pad3(p.dilations, 1), ocg).u32(...padsBegin3(p.pads).map((v) => v >>> 0), total)
    .f32(p.act.alpha, p.act.beta).u32(0, 0);
  r.dispatch(pipe, [x, r.upload(p.w), r.upload(p.b), y, r.uniform(u)], r.ctx.grid(total, wg));
}
