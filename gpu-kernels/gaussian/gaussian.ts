/// <reference types="@webgpu/types" />
/**
 * GPU separable Gaussian smoothing — the GPU version of `lib/segmentation/gaussian.ts`
 * `gaussianSmooth()` (scipy `gaussian_filter`: same kernel weights `gaussianKernel1d`, same
 * truncate, boundary modes and per-axis sigma; axes x, y, z; axes with sigma ≤ 1e-15 skipped).
 * The twin accumulates in float64, the GPU in float32: results agree within ~1e-6 relative.
 *
 * Volumes that fit one storage binding (4 bytes per voxel) run the three passes back to back on
 * the device. Larger volumes run over z-slabs of whole planes with `r_z` halo planes on each side
 * (`planHaloSlabs`): x and y passes over every held plane, the z pass writes the slab's own planes,
 * so each slab is one upload and one readback and the result equals the whole-volume result.
 * If even one plane plus its halo exceeds a binding, each pass runs over boxes holding whole
 * lines along the pass axis (like the EDT), intermediates on the host.
 */
import { ArgumentError } from '../../lib/errors';
import { type BoundaryMode, type GaussianOptions, gaussianKernel1d } from '../../lib/segmentation/gaussian';
import { type Vec3, type Volume, validateVolume } from '../../lib/volume';
import type { GpuContext } from '../runtime/device';
import { type Box, planSlabs } from '../edt/edt';
import { planHaloSlabs } from '../runtime/halo-slabs';
import { BOUNDARY_MODES, gaussianPassWgsl, gaussianUniform } from './gaussian.wgsl';

export interface GpuGaussianStats {
  /** 'whole' (one buffer), 'halo' (z-slabs with halos) or 'lines' (per-axis line boxes). */
  path: 'whole' | 'halo' | 'lines';
  /** Number of slabs (whole: 1; lines: total boxes over the passes). */
  slabs: number;
}

type Axis = 0 | 1 | 2;

interface Prepared {
  pipe: GPUComputePipeline;
  wg: number;
  /** Active axes with their weights (f32) and radius. */
  axes: { axis: Axis; w: Float32Array; r: number }[];
  mode: number;
  cval: number;
}

function validate(v: Volume, sigmaPhysical: number, opts: GaussianOptions): { sig: Vec3; truncate: number; mode: BoundaryMode; cval: number } {
  const where = 'gaussianSmoothGpu';
  validateVolume(v, where);
  if (!Number.isFinite(sigmaPhysical) || sigmaPhysical < 0) {
    throw new ArgumentError(`sigma must be a finite number ≥ 0, got ${sigmaPhysical}`, {
      where: `${where}.sigma`,
      hint: 'Pass the smoothing sigma in physical units, or 0 to disable smoothing.',
    });
  }
  const truncate = opts.truncate ?? 4.0;
  if (!Number.isFinite(truncate) || truncate <= 0) throw new ArgumentError(`truncate must be > 0, got ${truncate}`, { where: `${where}.truncate` });
  const mode = opts.mode ?? 'reflect';
  if (!(mode in BOUNDARY_MODES)) {
    throw new ArgumentError(`unknown boundary mode '${String(mode)}'`, { where: `${where}.mode`, hint: "Use 'reflect', 'nearest', 'mirror' or 'constant'." });
  }
  const sig: Vec3 = opts.sigmaVoxels
    ? [...opts.sigmaVoxels]
    : [sigmaPhysical / v.spacing[0], sigmaPhysical / v.spacing[1], sigmaPhysical / v.spacing[2]];
  for (const [i, s] of sig.entries()) {
    if (!Number.isFinite(s) || s < 0) throw new ArgumentError(`sigmaVoxels[${i}] must be a finite number ≥ 0, got ${s}`, { where: `${where}.sigmaVoxels` });
  }
  return { sig, truncate, mode, cval: opts.cval ?? 0 };
}

/**
 * Gaussian-smooth a volume on the GPU; same arguments, semantics and return type as
 * `gaussianSmooth()`. The input is never mutated.
 */
export async function gaussianSmoothGpu(
  ctx: GpuContext,
  v: Volume,
  sigmaPhysical: number,
  opts: GaussianOptions = {},
  stats?: GpuGaussianStats,
): Promise<Volume<Float32Array>> {
  const where = 'gaussianSmoothGpu';
  ctx.assertAlive(where);
  const { sig, truncate, mode, cval } = validate(v, sigmaPhysical, opts);
  const data = Float32Array.from(v.data as ArrayLike<number>);
  const axes: Prepared['axes'] = [];
  for (const axis of [0, 1, 2] as Axis[]) {
    if (sig[axis] > 1e-15) {
      const w64 = gaussianKernel1d(sig[axis], truncate);
      axes.push({ axis, w: Float32Array.from(w64), r: (w64.length - 1) >> 1 });
    }
  }
  let out: Float32Array = data;
  if (axes.length > 0) {
    const wg = ctx.workgroupSize1D(256);
    const pipe = await ctx.pipeline({ code: gaussianPassWgsl(wg), label: 'gaussian.pass' });
    const prep: Prepared = { pipe, wg, axes, mode: BOUNDARY_MODES[mode], cval };
    const maxVoxels = ctx.maxBindingElements(4);
    const rz = axes.find((a) => a.axis === 2)?.r ?? 0;
    const plane = v.shape[0] * v.shape[1];
    if (data.length <= maxVoxels) {
      out = await slab(ctx, prep, data, v.shape, 0, v.shape[2], 0, v.shape[2]);
      if (stats) Object.assign(stats, { path: 'whole', slabs: 1 });
    } else if (plane * (1 + 2 * rz) <= maxVoxels) {
      const slabs = planHaloSlabs(v.shape, rz, maxVoxels, where);
      out = new Float32Array(data.length);
      for (const s of slabs) {
        const part = await slab(ctx, prep, data.subarray(s.h0 * plane, s.h1 * plane), v.shape, s.h0, s.h1, s.z0, s.z1);
        out.set(part, s.z0 * plane);
      }
      if (stats) Object.assign(stats, { path: 'halo', slabs: slabs.length });
    } else {
      const n = await byLines(ctx, prep, data, v.shape, maxVoxels);
      out = data;
      if (stats) Object.assign(stats, { path: 'lines', slabs: n });
    }
  }
  const result: Volume<Float32Array> = { data: out, shape: [...v.shape], spacing: [...v.spacing] };
  if (v.affine) result.affine = v.affine.map((row) => [...row]) as Volume['affine'];
  if (v.units !== undefined) result.units = v.units;
  return result;
}

/**
 * Runs every active pass over the held planes [h0, h1) (global z) of an nx×ny grid; x/y passes
 * over all held planes, z pass on [z0, z1) only. Returns planes [z0, z1).
 */
async function slab(ctx: GpuContext, p: Prepared, held: Float32Array, shape: Vec3, h0: number, h1: number, z0: number, z1: number): Promise<Float32Array> {
  const [nx, ny] = shape;
  const plane = nx * ny;
  const bytes = held.length * 4;
  const a = ctx.upload(held, 'gaussian.a');
  const b = ctx.storage(bytes, 'gaussian.b');
  const extra: GPUBuffer[] = [];
  try {
    const steps = p.axes.map(({ axis, w, r }, k) => {
      const [src, dst] = k % 2 === 0 ? [a, b] : [b, a];
      const zOnly = axis === 2;
      const oz0 = zOnly ? z0 - h0 : 0;
      const onz = zOnly ? z1 - z0 : h1 - h0;
      const wb = ctx.upload(w, 'gaussian.w');
      const u = ctx.uniform(gaussianUniform({ nx, ny, axis, n: shape[axis], radius: r, mode: p.mode, hz0: h0, oz0, onz, cval: p.cval }), 'gaussian.params');
      extra.push(wb, u);
      const bindGroup = ctx.bindGroup(p.pipe, [
        { buffer: src, size: bytes },
        { buffer: dst, size: bytes },
        { buffer: wb, size: w.byteLength },
        u,
      ]);
      return { pipeline: p.pipe, bindGroup, workgroups: ctx.grid(plane * onz, p.wg) };
    });
    await ctx.run('gaussian', steps);
    const res = p.axes.length % 2 === 1 ? b : a;
    return new Float32Array(await ctx.read(res, (z0 - h0) * plane * 4, (z1 - z0) * plane * 4, 'gaussian.read'));
  } finally {
    ctx.release(a, b, ...extra);
  }
}

function extractBox(src: Float32Array, shape: Vec3, box: Box): Float32Array {
  const [nx, ny] = shape;
  const [ox, oy, oz] = box.origin;
  const [bx, by, bz] = box.size;
  const out = new Float32Array(bx * by * bz);
  let o = 0;
  for (let z = 0; z < bz; z++)
    for (let y = 0; y < by; y++) {
      const s = ox + nx * (oy + y + ny * (oz + z));
      out.set(src.subarray(s, s + bx), o);
      o += bx;
    }
  return out;
}

function insertBox(dst: Float32Array, shape: Vec3, box: Box, src: Float32Array): void {
  const [nx, ny] = shape;
  const [ox, oy, oz] = box.origin;
  const [bx, by, bz] = box.size;
  let o = 0;
  for (let z = 0; z < bz; z++)
    for (let y = 0; y < by; y++) {
      dst.set(src.subarray(o, o + bx), ox + nx * (oy + y + ny * (oz + z)));
      o += bx;
    }
}

/** Fallback: each pass over boxes holding whole lines along the pass axis; updates `data` in place. */
async function byLines(ctx: GpuContext, p: Prepared, data: Float32Array, shape: Vec3, maxVoxels: number): Promise<number> {
  let count = 0;
  for (const ax of p.axes) {
    const boxes = planSlabs(shape, ax.axis, maxVoxels);
    const next = new Float32Array(data.length);
    for (const box of boxes) {
      const sub = extractBox(data, shape, box);
      const one: Prepared = { ...p, axes: [ax] };
      insertBox(next, shape, box, await slab(ctx, one, sub, box.size, 0, box.size[2], 0, box.size[2]));
    }
    data.set(next);
    count += boxes.length;
  }
  return count;
}
