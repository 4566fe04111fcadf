/// <reference types="@webgpu/types" />
/**
 * Host code for Conv (generic and the tiled 3-D fast path) and ConvTranspose. Weights are
 * repacked once per weight array (cached) into vec4s of 4 output channels, zero-padded.
 *
 * Precision: 'f32' everywhere, or 'f16' (adapter feature `shader-f16`) for Conv: f16 weights
 * (power-of-two scaled per output channel) and f16 input values / workgroup tiles, products and
 * accumulation in f32 (see conv.wgsl.ts). ConvTranspose is always f32.
 */
import type { Binding, GpuContext } from '../../../runtime/device';
import { GpuUnavailableError } from '../../../runtime/errors';
import type { Act } from '../../graph';
import { type Recorder, UniformWriter, packF16, pad3, padsBegin3, prod, spatial3 } from '../common';
import { ACT_CODES } from '../elementwise/elementwise.wgsl';
import { type TiledSpec, convGenericWgsl, convTiledWgsl, convTransposeWgsl } from './conv.wgsl';

export interface ConvParams {
  w: Float32Array; wDims: number[]; b: Float32Array; strides: number[]; pads: number[]; dilations: number[]; group: number; act: Act;
}

/** Arithmetic of the conv kernels: f32, or f16 storage with f32 accumulation. */
export type ConvPrecision = 'f32' | 'f16';
/** What a caller asks for; 'auto' = {@link AUTO_PRECISION} when the adapter has `shader-f16`, else f32. */
export type PrecisionOption = ConvPrecision | 'auto';

/**
 * What 'auto' resolves to on a `shader-f16` adapter: f32. f16 keeps MeshNet's argmax above the
 * 99.9 % bar but with little margin (lavapipe: GWM 96³ 99.956 %, GWM centre 64³ 99.93 %,
 * model18cls 64³ 99.985 %; max |Δlogit| ≈ 0.15 on logits up to 17.6 — GWM's ten layers amplify
 * the 2⁻¹¹ weight / input rounding ~16×), moves every conv output ~1e-3 past the 1e-4 onnxruntime
 * goldens of the op tests, and was not faster on lavapipe. Flip this once real-GPU timings show a
 * gain worth the margin (f16-conformance.test.ts logs both).
 */
export const AUTO_PRECISION: ConvPrecision = 'f32';

/**
 * The conv precision a run uses. Throws GPU_UNAVAILABLE naming `shader-f16` when 'f16' is asked
 * for on a context without it (never silently f32).
 */
export function resolveConvPrecision(ctx: Pick<GpuContext, 'features'>, want: PrecisionOption = 'auto'): ConvPrecision {
  const has = ctx.features.has('shader-f16');
  if (want === 'f32') return 'f32';
  if (want === 'f16') {
    if (!has) {
      throw new GpuUnavailableError("precision 'f16' needs the WebGPU feature 'shader-f16', which this adapter / device does not have", {
        where: 'resolveConvPrecision',
        hint: "Run with precision 'f32' or 'auto' (f32 where shader-f16 is missing).",
      });
    }
    return 'f16';
  }
  return has ? AUTO_PRECISION : 'f32';
}

interface Packed { w: Float32Array | Uint32Array; b: Float32Array }
const packCache = new WeakMap<Float32Array, Map<string, Packed>>();
function cached(w: Float32Array, key: string, make: () => Packed): Packed {
  let m = packCache.get(w);
  if (!m) packCache.set(w, (m = new Map()));
  let v = m.get(key);
  if (!v) m.set(key, (v = make()));
  return v;
}

/**
 * Per-output-channel power-of-two scales for f16 weights: channel oc's weights divided by
 * `scale[oc]` have max |w| in (0.5, 1] (exact scaling; keeps small-weight channels out of f16's
 * subnormal range and large ones below 65504).
 */
export function f16WeightScales(w: Float32Array, cout: number): Float32Array {
  const per = w.length / cout;
  const s = new Float32Array(cout);
  for (let oc = 0; oc < cout; oc++) {
    let m = 0;
    for (let i = oc * per; i < (oc + 1) * per; i++) m = Math.max(m, Math.abs(w[i]));
    s[oc] = m > 0 && Number.isFinite(m) ? 2 ** Math.ceil(Math.log2(m)) : 1;
  }
  return s;
}

/** Bytes per element of the tiled kernel's workgroup tile. */
const tileElemBytes = (precision: ConvPrecision) => (precision === 'f16' ? 2 : 4);

/** Which conv kernel a node gets ('tiled' = the workgroup-memory 3-D path). */
export function convPath(p: ConvParams, ctxLimits: { maxComputeWorkgroupStorageSize: number }, precision: ConvPrecision = 'f32'): 'tiled' | 'generic' {
  const sp = p.wDims.length - 2;
  const k = p.wDims.slice(2);
  const tileBytes = (4 + k[0] - 1) * (8 + k[1] - 1) * (8 + k[2] - 1) * tileElemBytes(precision);
  // 1×1×1 kernels gain nothing from a halo tile: the generic kernel (no barriers) serves them.
  return sp === 3 && p.group === 1 && p.strides.every((s) => s === 1) && k.every((v) => v <= 7) && prod(k) > 1 &&
    tileBytes <= ctxLimits.maxComputeWorkgroupStorageSize ? 'tiled' : 'generic';
}

/**
 * Records one Conv. `precision` 'f16' needs `shader-f16` (callers resolve it with
 * `resolveConvPrecision`). Returns the kernel used.
 */
export async function conv(
  r: Recorder, x: Binding, xDims: number[], y: Binding, yDims: number[], p: ConvParams, forceGeneric = false, precision: ConvPrecision = 'f32',
): Promise<'tiled' | 'generic'> {
  if (precision === 'f16') resolveConvPrecision(r.ctx, 'f16'); // throws without shader-f16
  const path = forceGeneric ? 'generic' : convPath(p, r.ctx.limits, precision);
  if (path === 'tiled') await convTiled(r, x, xDims, y, yDims, p, precision);
  else await convGeneric(r, x, xDims, y, yDims, p, precision);
  return path;
}

async function convGeneric(r: Recorder, x: Binding, xDims: number[], y: Binding, yDims: number[], p: ConvParams, precision: ConvPrecision): Promise<void> {
  const wg = r.ctx.workgroupSize1D(64);
  const h = precision === 'f16';
  const pipe = await r.ctx.pipeline({ code: convGenericWgsl(wg, p.act.kind, h), label: `onnx.conv.${p.act.kind}${h ? '.f16' : ''}` });
  const [cout, icg] = p.wDims;
  const ocg = cout / p.group;
  const ocb = Math.ceil(ocg / 4);
  const kvol = prod(p.wDims.slice(2));
  const packed = cached(p.w, `generic:${precision}`, () => {
    const scale = h ? f16WeightScales(p.w, cout) : null;
    const w = new Float32Array(p.group * ocb * icg * kvol * 4);
    // f16: biases, then the weight scales
    const b = new Float32Array(p.group * ocb * 4 * (h ? 2 : 1));
    for (let g = 0; g < p.group; g++) for (let ob = 0; ob < ocb; ob++) for (let j = 0; j < 4; j++) {
      const ocl = ob * 4 + j;
      if (ocl >= ocg) continue;
      const oc = g * ocg + ocl;
      const s = scale ? scale[oc] : 1;
      b[(g * ocb + ob) * 4 + j] = p.b[oc];
      if (scale) b[(p.group * ocb + g * ocb + ob) * 4 + j] = s;
      for (let ic = 0; ic < icg; ic++) for (let t = 0; t < kvol; t++) w[(((g * ocb + ob) * icg + ic) * kvol + t) * 4 + j] = p.w[(oc * icg + ic) * kvol + t] / s;
    }
    return { w: h ? packF16(w) : w, b };
  });
  const total = yDims[0] * p.group * ocb * prod(yDims.slice(2));
  const u = new UniformWriter()
    .u32(...spatial3(xDims), xDims[1]).u32(...spatial3(yDims), cout)
    .u32(...pad3(p.wDims.slice(2), 1), p.group).u32(...pad3(p.strides, 1), icg)
    .u32(...pad3(p.dilations, 1), ocg).u32(...padsBegin3(p.pads).map((v) => v >>> 0), ocb)
    .u32(total, 0).f32(p.act.alpha, p.act.beta);
  r.dispatch(pipe, [x, r.upload(packed.w), r.upload(packed.b), y, r.uniform(u)], r.ctx.grid(total, wg));
}

async function convTiled(r: Recorder, x: Binding, xDims: number[], y: Binding, yDims: number[], p: ConvParams, precision: ConvPrecision): Promise<void> {
  const h = precision === 'f16';
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
  // Channels staged per barrier pair: bounded by workgroup memory (an f16 tile takes half) and by
  // icb·ocb ≤ 36 (drivers unroll the channel × tap loops; a larger body mostly costs compile time).
  const maxIcb = Math.max(1, Math.min(8, Math.floor(36 / ocb), Math.floor(r.ctx.limits.maxComputeWorkgroupStorageSize / (tile * tileElemBytes(precision)))));
  const icb = Math.ceil(cin / Math.ceil(cin / maxIcb));
  const cinP = Math.ceil(cin / icb) * icb;
  const kvol = kz * ky * kx;
  const spec: TiledSpec = { tx, ty, vz, kz, ky, kx, icb, ocb, f16: h };
  const pipe = await r.ctx.pipeline({ code: convTiledWgsl(spec), label: `onnx.conv3d.tiled${h ? '.f16' : ''}` });
  const packed = cached(p.w, `tiled:${ocb}:${nOG}:${cinP}:${precision}`, () => {
    const scale = h ? f16WeightScales(p.w, cout) : null;
    const w = new Float32Array(nOG * cinP * kvol * ocb);
    // f16: biases, then the weight scales (read at nOG·ocb + oc)
    const b = new Float32Array(nOG * ocb * (h ? 2 : 1));
    for (let og = 0; og < nOG; og++) for (let o = 0; o < ocb; o++) {
      const oc = og * ocb + o;
      if (oc >= cout) continue;
      const s = scale ? scale[oc] : 1;
      b[og * ocb + o] = p.b[oc];
      if (scale) b[nOG * ocb + og * ocb + o] = s;
      for (let ic = 0; ic < cin; ic++) for (let t = 0; t < kvol; t++) w[((og * cinP + ic) * kvol + t) * ocb + o] = p.w[(oc * cin + ic) * kvol + t] / s;
    }
    return { w: h ? packF16(w) : w, b };
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
