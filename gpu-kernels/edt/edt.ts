/// <reference types="@webgpu/types" />
/**
 * GPU exact anisotropic Euclidean distance transform — the GPU version of
 * `lib/segmentation/edt.ts` `edt()` (same semantics, same errors, equal within f32 rounding).
 *
 * Three separable passes (x from the mask, then y, z on squared distances with spacing² weights;
 * sqrt in the last). When the volume fits one storage binding (`ctx.limits`
 * maxStorageBufferBindingSize / maxBufferSize, 4 bytes per voxel) all passes run on the device
 * back to back. Otherwise each pass runs over slabs (boxes holding whole lines along the pass
 * axis) that fit, with the intermediate squared distances kept on the host between passes; the
 * result is identical to the whole-volume result.
 */
import { ArgumentError } from '../../lib/errors';
import { type Vec3, type Volume, validateVolume } from '../../lib/volume';
import type { GpuContext } from '../runtime/device';
import { GpuLimitsError } from '../runtime/errors';
import { edtPassWgsl, edtUniform } from './edt.wgsl';

export type Axis = 0 | 1 | 2;

/** A box of the volume: origin and size (voxels). */
export interface Box {
  origin: Vec3;
  size: Vec3;
}

/** Uniform values for a pass along `axis` over a (sub)volume of `shape`. */
export function lineLayout(shape: Vec3, axis: Axis): { n: number; stride: number; lines: number; d0: number; m0: number; m1: number } {
  const [sx, sy, sz] = shape;
  if (axis === 0) return { n: sx, stride: 1, lines: sy * sz, d0: sy * sz, m0: sx, m1: 0 };
  if (axis === 1) return { n: sy, stride: sx, lines: sx * sz, d0: sx, m0: 1, m1: sx * sy };
  return { n: sz, stride: sx * sy, lines: sx * sy, d0: sx * sy, m0: 1, m1: 0 };
}

/**
 * Splits `shape` into boxes of at most `maxVoxels` voxels, each spanning the whole extent of `axis`
 * (so every line along `axis` lies in one box). Splits the slowest other axis first.
 */
export function planSlabs(shape: Vec3, axis: Axis, maxVoxels: number): Box[] {
  const n = shape[axis];
  if (n > maxVoxels) {
    throw new GpuLimitsError(`a line of ${n} voxels along axis ${axis} does not fit a storage binding of ${maxVoxels} voxels`, {
      where: 'planSlabs',
    });
  }
  const others = ([0, 1, 2] as Axis[]).filter((a) => a !== axis);
  const [b, c] = others; // b faster, c slower
  const boxes: Box[] = [];
  const push = (b0: number, bs: number, c0: number, cs: number) => {
    const origin: Vec3 = [0, 0, 0];
    const size: Vec3 = [0, 0, 0];
    size[axis] = n;
    origin[b] = b0;
    size[b] = bs;
    origin[c] = c0;
    size[c] = cs;
    boxes.push({ origin, size });
  };
  if (n * shape[b] <= maxVoxels) {
    const step = Math.max(1, Math.floor(maxVoxels / (n * shape[b])));
    for (let c0 = 0; c0 < shape[c]; c0 += step) push(0, shape[b], c0, Math.min(step, shape[c] - c0));
  } else {
    const step = Math.floor(maxVoxels / n);
    for (let c0 = 0; c0 < shape[c]; c0++) for (let b0 = 0; b0 < shape[b]; b0 += step) push(b0, Math.min(step, shape[b] - b0), c0, 1);
  }
  return boxes;
}

type Arr = Uint8Array | Float32Array;

function extractBox<T extends Arr>(src: T, shape: Vec3, box: Box, out: T): T {
  const [nx, ny] = shape;
  const [ox, oy, oz] = box.origin;
  const [bx, by, bz] = box.size;
  let o = 0;
  for (let z = 0; z < bz; z++) {
    for (let y = 0; y < by; y++) {
      const s = ox + nx * (oy + y + ny * (oz + z));
      out.set(src.subarray(s, s + bx), o);
      o += bx;
    }
  }
  return out;
}

function insertBox(dst: Float32Array, shape: Vec3, box: Box, src: Float32Array): void {
  const [nx, ny] = shape;
  const [ox, oy, oz] = box.origin;
  const [bx, by, bz] = box.size;
  let o = 0;
  for (let z = 0; z < bz; z++) {
    for (let y = 0; y < by; y++) {
      dst.set(src.subarray(o, o + bx), ox + nx * (oy + y + ny * (oz + z)));
      o += bx;
    }
  }
}

export interface GpuEdtStats {
  /** Number of slabs per pass (1, 1, 1 when the whole volume fits). */
  slabs: [number, number, number];
}

/**
 * Exact Euclidean distance of every nonzero voxel of `mask` to the nearest zero voxel, in the
 * physical units of `mask.spacing`; 0 on background. Throws `ArgumentError` when the mask has no
 * background (as the CPU twin does), `GpuLimitsError` when a single line exceeds a binding.
 * The input is not modified.
 */
export async function edtGpu(ctx: GpuContext, mask: Volume<Uint8Array>, stats?: GpuEdtStats): Promise<Volume<Float32Array>> {
  const where = 'edtGpu';
  ctx.assertAlive(where);
  validateVolume(mask, where);
  if (!(mask.data instanceof Uint8Array)) throw new ArgumentError('mask data must be a Uint8Array', { where: `${where}.mask` });
  const { data, shape, spacing } = mask;
  if (data.indexOf(0) < 0) {
    throw new ArgumentError('the mask has no background voxel, so the distance to background is undefined', {
      where,
      hint: 'Pass a mask with at least one zero voxel (e.g. pad the volume by one background voxel).',
    });
  }
  const total = data.length;
  const maxVoxels = ctx.maxBindingElements(4);
  const wg = ctx.workgroupSize1D(64);
  const pipes = await Promise.all(
    ([0, 1, 2] as Axis[]).map((axis) =>
      ctx.pipeline({ code: edtPassWgsl({ workgroupSize: wg, fromMask: axis === 0, finalSqrt: axis === 2 }), label: `edt.pass${'xyz'[axis]}` }),
    ),
  );
  let out: Float32Array;
  if (total <= maxVoxels) {
    out = await wholeVolume(ctx, data, shape, spacing, pipes, wg);
    if (stats) stats.slabs = [1, 1, 1];
  } else {
    out = await bySlabs(ctx, data, shape, spacing, pipes, wg, maxVoxels, stats);
  }
  const result: Volume<Float32Array> = { data: out, shape: [shape[0], shape[1], shape[2]], spacing: [spacing[0], spacing[1], spacing[2]] };
  if (mask.affine) result.affine = mask.affine.map((r) => [...r]) as Volume['affine'];
  if (mask.units !== undefined) result.units = mask.units;
  return result;
}

async function wholeVolume(
  ctx: GpuContext,
  data: Uint8Array,
  shape: Vec3,
  spacing: Vec3,
  pipes: GPUComputePipeline[],
  wg: number,
): Promise<Float32Array> {
  const total = data.length;
  const bytes = total * 4;
  const maskBuf = ctx.upload(data, 'edt.mask');
  const a = ctx.storage(bytes, 'edt.a');
  const b = ctx.storage(bytes, 'edt.b');
  const v = ctx.storage(bytes, 'edt.v');
  const maskBytes = Math.ceil(total / 4) * 4;
  const io: [GPUBuffer, number, GPUBuffer][] = [
    [maskBuf, maskBytes, a],
    [a, bytes, b],
    [b, bytes, a],
  ];
  const uniforms: GPUBuffer[] = [];
  const steps = ([0, 1, 2] as Axis[]).map((axis) => {
    const lay = lineLayout(shape, axis);
    const u = ctx.uniform(edtUniform({ ...lay, w2: spacing[axis] * spacing[axis] }), 'edt.params');
    uniforms.push(u);
    const [src, srcBytes, dst] = io[axis];
    const bindGroup = ctx.bindGroup(pipes[axis], [
      { buffer: src, size: srcBytes },
      { buffer: dst, size: bytes },
      { buffer: v, size: bytes },
      u,
    ]);
    return { pipeline: pipes[axis], bindGroup, workgroups: ctx.grid(lay.lines, wg) };
  });
  try {
    await ctx.run('edt', steps);
    return new Float32Array(await ctx.read(a, 0, bytes, 'edt.read'));
  } finally {
    ctx.release(maskBuf, a, b, v, ...uniforms);
  }
}

async function bySlabs(
  ctx: GpuContext,
  data: Uint8Array,
  shape: Vec3,
  spacing: Vec3,
  pipes: GPUComputePipeline[],
  wg: number,
  maxVoxels: number,
  stats?: GpuEdtStats,
): Promise<Float32Array> {
  const total = data.length;
  const d = new Float32Array(total);
  const slabCounts: [number, number, number] = [0, 0, 0];
  for (const axis of [0, 1, 2] as Axis[]) {
    const boxes = planSlabs(shape, axis, maxVoxels);
    slabCounts[axis] = boxes.length;
    for (const box of boxes) {
      const nb = box.size[0] * box.size[1] * box.size[2];
      const bytes = nb * 4;
      const src = axis === 0 ? extractBox(data, shape, box, new Uint8Array(nb)) : extractBox(d, shape, box, new Float32Array(nb));
      const srcBuf = ctx.upload(src, 'edt.slab.src');
      const dst = ctx.storage(bytes, 'edt.slab.dst');
      const v = ctx.storage(bytes, 'edt.slab.v');
      const lay = lineLayout(box.size, axis);
      const u = ctx.uniform(edtUniform({ ...lay, w2: spacing[axis] * spacing[axis] }), 'edt.params');
      try {
        const bindGroup = ctx.bindGroup(pipes[axis], [
          { buffer: srcBuf, size: Math.ceil(src.byteLength / 4) * 4 },
          { buffer: dst, size: bytes },
          { buffer: v, size: bytes },
          u,
        ]);
        await ctx.run('edt.slab', [{ pipeline: pipes[axis], bindGroup, workgroups: ctx.grid(lay.lines, wg) }]);
        insertBox(d, shape, box, new Float32Array(await ctx.read(dst, 0, bytes, 'edt.slab.read')));
      } finally {
        ctx.release(srcBuf, dst, v, u);
      }
    }
  }
  if (stats) stats.slabs = slabCounts;
  // The mask has a zero voxel, so after the three passes every voxel has reached background and
  // no EDT_BIG sentinel survives.
  return d;
}
