/// <reference types="@webgpu/types" />
/**
 * GPU seed detection — the GPU version of `lib/segmentation/seeds.ts` `findSeeds()`
 * (skimage 0.19 `peak_local_max(dist, min_distance, labels=mask)`, per-axis minimum distance,
 * exclude_border, threshold_abs). The result is EQUAL to the twin's (same peaks, same order).
 *
 * Split:
 * - host: argument checks, default threshold (min of `dist`), the bounding box of the mask inside
 *   the border-excluded region, the work image of that box (mask voxels keep their value, others
 *   −FLT_MAX);
 * - device: separable box maximum filter (one pass per axis with md > 0, constant 0 outside the
 *   box), candidate test `img == max`, the "trivial image" flag, the threshold, and compaction of
 *   candidates by atomic append;
 * - host: candidates sorted by box index (the twin's memory order), numpy's argsort of −value and
 *   the greedy min-distance suppression (same rule as the twin) on the few candidates. A trivial
 *   image (every mask voxel a candidate) takes the twin's isolated-voxel rule on the host.
 * Boxes over one storage binding run in z-slabs with `md_z` halo planes.
 */
import { ArgumentError, ShapeError } from '../../lib/errors';
import { type FindSeedsOptions, selectPeaks } from '../../lib/segmentation/seeds';
import { type Vec3, type Volume, validateVolume } from '../../lib/volume';
import type { GpuContext } from '../runtime/device';
import { planHaloSlabs } from '../runtime/halo-slabs';
import { candidatesUniform, candidatesWgsl, maxPassUniform, maxPassWgsl } from './seeds.wgsl';

/** np.finfo(np.float32).min. */
const FLOAT32_LOWEST = -3.4028234663852886e38;

export interface GpuSeedsStats {
  /** z-slabs used (1 when the box fits one binding). */
  slabs: number;
  /** Candidates found on the device before suppression. */
  candidates: number;
}

function checkIntVec(v: unknown, name: string, where: string): Vec3 {
  if (!Array.isArray(v) || v.length !== 3 || !v.every((e) => Number.isInteger(e) && e >= 0)) {
    throw new ArgumentError(`${name} must be three non-negative integers (x, y, z), got ${JSON.stringify(v)}`, { where: `${where}.${name}` });
  }
  return [v[0], v[1], v[2]];
}

/** Smallest float32 strictly greater than t (so that for float32 x: x > t ⟺ x >= result). */
export function f32Above(t: number): number {
  if (Number.isNaN(t)) return NaN;
  const f = Math.fround(t);
  if (f > t) return f;
  if (f === Infinity) return Infinity;
  const b = new Float32Array([f]);
  const u = new Uint32Array(b.buffer);
  if (f === 0) u[0] = 1; // +0 / −0 → smallest subnormal
  else if (f > 0) u[0] += 1;
  else u[0] -= 1;
  return b[0];
}

/**
 * Flat voxel indices of the peaks of `dist` inside `mask`, sorted by descending value — equal to
 * `findSeeds(dist, mask, opts)`. Inputs are not modified.
 */
export async function findSeedsGpu(
  ctx: GpuContext,
  dist: Volume<Float32Array>,
  mask: Uint8Array,
  opts: FindSeedsOptions,
  stats?: GpuSeedsStats,
): Promise<Uint32Array> {
  const where = 'findSeedsGpu';
  ctx.assertAlive(where);
  validateVolume(dist, where);
  const [nx, ny, nz] = dist.shape;
  const total = nx * ny * nz;
  if (mask.length !== total) throw new ShapeError(`mask has ${mask.length} voxels but dist has ${total}`, { where: `${where}.mask` });
  const md = checkIntVec(opts.minDistance, 'minDistance', where);
  const ex = opts.excludeBorder ?? true;
  const border: Vec3 = ex === true ? md : ex === false ? [0, 0, 0] : checkIntVec(ex, 'excludeBorder', where);
  const data = dist.data;
  let threshold: number;
  if (opts.thresholdAbs !== undefined) {
    if (typeof opts.thresholdAbs !== 'number' || Number.isNaN(opts.thresholdAbs)) {
      throw new ArgumentError(`thresholdAbs must be a number, got ${String(opts.thresholdAbs)}`, { where: `${where}.thresholdAbs` });
    }
    threshold = opts.thresholdAbs;
  } else {
    threshold = Infinity;
    for (let i = 0; i < total; i++) if (data[i] < threshold) threshold = data[i];
  }

  // Bounding box of the mask inside the border-excluded region.
  let x0 = nx, y0 = ny, z0 = nz, x1 = -1, y1 = -1, z1 = -1;
  for (let z = border[2]; z < nz - border[2]; z++) {
    for (let y = border[1]; y < ny - border[1]; y++) {
      const row = nx * (y + ny * z);
      for (let x = border[0]; x < nx - border[0]; x++) {
        if (mask[row + x] === 0) continue;
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
        if (z < z0) z0 = z;
        if (z > z1) z1 = z;
      }
    }
  }
  if (stats) Object.assign(stats, { slabs: 0, candidates: 0 });
  if (x1 < 0) return new Uint32Array(0);
  const d: Vec3 = [x1 - x0 + 1, y1 - y0 + 1, z1 - z0 + 1];
  const [bx, by, bz] = d;
  const btotal = bx * by * bz;
  const img = new Float32Array(btotal);
  const lm = new Uint8Array(btotal);
  for (let z = 0, j = 0; z < bz; z++) {
    for (let y = 0; y < by; y++) {
      const row = x0 + nx * (y + y0 + ny * (z + z0));
      for (let x = 0; x < bx; x++, j++) {
        if (mask[row + x] !== 0) {
          lm[j] = 1;
          img[j] = data[row + x];
        } else img[j] = FLOAT32_LOWEST;
      }
    }
  }

  const noFilter = (md[0] === 0 && md[1] === 0 && md[2] === 0) || btotal === 1;
  const found = await candidatesOnDevice(ctx, img, lm, d, noFilter ? [0, 0, 0] : md, noFilter, f32Above(threshold), stats);
  let pos: Uint32Array;
  if (found.trivial) {
    const iso = isolatedVoxels(lm, d);
    const list: number[] = [];
    for (let j = 0; j < btotal; j++) if (iso[j] && img[j] > threshold) list.push(j);
    pos = Uint32Array.from(list);
  } else {
    pos = found.list.sort();
  }
  if (stats) stats.candidates = pos.length;

  // Order by descending value (numpy argsort of −value) and suppress greedily.
  const keys = new Float32Array(pos.length);
  for (let k = 0; k < pos.length; k++) keys[k] = -img[pos[k]];
  return selectPeaks(pos, keys, d, md, [x0, y0, z0], dist.shape);
}

/** Max filter + candidate compaction over z-slabs of the box. */
async function candidatesOnDevice(
  ctx: GpuContext,
  img: Float32Array,
  lm: Uint8Array,
  d: Vec3,
  md: Vec3,
  noFilter: boolean,
  tge: number,
  stats?: GpuSeedsStats,
): Promise<{ list: Uint32Array; trivial: boolean }> {
  const [bx, by] = d;
  const plane = bx * by;
  const wg = ctx.workgroupSize1D(256);
  const [maxPipe, candPipe] = await Promise.all([
    ctx.pipeline({ code: maxPassWgsl(wg), label: 'seeds.max' }),
    ctx.pipeline({ code: candidatesWgsl(wg), label: 'seeds.candidates' }),
  ]);
  const slabs = planHaloSlabs(d, md[2], ctx.maxBindingElements(4), 'findSeedsGpu');
  if (stats) stats.slabs = slabs.length;
  const lists: Uint32Array[] = [];
  let nonTrivial = false;
  for (const s of slabs) {
    const held = (s.h1 - s.h0) * plane;
    const bytes = held * 4;
    const imgBuf = ctx.upload(img.subarray(s.h0 * plane, s.h1 * plane), 'seeds.img');
    const a = ctx.storage(bytes, 'seeds.a');
    const b = ctx.storage(bytes, 'seeds.b');
    const lmBytes = Math.ceil(held / 4) * 4;
    const lmBuf = ctx.upload(lm.subarray(s.h0 * plane, s.h1 * plane), 'seeds.lm');
    const outCount = (s.z1 - s.z0) * plane;
    const ctl = ctx.upload(new Uint32Array(4), 'seeds.ctl');
    const list = ctx.storage(outCount * 4, 'seeds.list');
    const temps: GPUBuffer[] = [];
    try {
      const steps = [];
      let cur = imgBuf;
      const axes = ([0, 1, 2] as const).filter((ax) => md[ax] > 0);
      axes.forEach((axis, k) => {
        const dst = k % 2 === 0 ? a : b;
        const zOnly = axis === 2;
        const u = ctx.uniform(
          maxPassUniform({ nx: bx, ny: by, axis, n: d[axis], radius: md[axis], hz0: s.h0, oz0: zOnly ? s.z0 - s.h0 : 0, onz: zOnly ? s.z1 - s.z0 : s.h1 - s.h0 }),
          'seeds.max.params',
        );
        temps.push(u);
        const onz = zOnly ? s.z1 - s.z0 : s.h1 - s.h0;
        steps.push({
          pipeline: maxPipe,
          bindGroup: ctx.bindGroup(maxPipe, [{ buffer: cur, size: bytes }, { buffer: dst, size: bytes }, u]),
          workgroups: ctx.grid(plane * onz, wg),
        });
        cur = dst;
      });
      const cu = ctx.uniform(
        candidatesUniform({ count: outCount, firstIndex: s.z0 * plane, bufOffset: (s.z0 - s.h0) * plane, noFilter: noFilter ? 1 : 0, tge }),
        'seeds.cand.params',
      );
      temps.push(cu);
      steps.push({
        pipeline: candPipe,
        bindGroup: ctx.bindGroup(candPipe, [
          { buffer: imgBuf, size: bytes },
          { buffer: cur, size: bytes },
          { buffer: lmBuf, size: lmBytes },
          { buffer: ctl, size: 16 },
          { buffer: list, size: outCount * 4 },
          cu,
        ]),
        workgroups: ctx.grid(outCount, wg),
      });
      await ctx.run('seeds', steps);
      const c = new Uint32Array(await ctx.read(ctl, 0, 8, 'seeds.ctl.read'));
      if (c[1] !== 0) nonTrivial = true;
      lists.push(new Uint32Array(await ctx.read(list, 0, c[0] * 4, 'seeds.list.read')));
    } finally {
      ctx.release(imgBuf, a, b, lmBuf, ctl, list, ...temps);
    }
  }
  const n = lists.reduce((s, l) => s + l.length, 0);
  const all = new Uint32Array(n);
  let o = 0;
  for (const l of lists) {
    all.set(l, o);
    o += l.length;
  }
  return { list: all, trivial: !noFilter && !nonTrivial };
}

/** Mask voxels removed by a binary opening with the 6-connected cross (the twin's rule). */
function isolatedVoxels(m: Uint8Array, d: Vec3): Uint8Array {
  const [bx, by, bz] = d;
  const total = bx * by * bz;
  const bxy = bx * by;
  const eroded = new Uint8Array(total);
  for (let z = 0, i = 0; z < bz; z++)
    for (let y = 0; y < by; y++)
      for (let x = 0; x < bx; x++, i++) {
        if (!m[i] || x === 0 || x === bx - 1 || y === 0 || y === by - 1 || z === 0 || z === bz - 1) continue;
        if (m[i - 1] && m[i + 1] && m[i - bx] && m[i + bx] && m[i - bxy] && m[i + bxy]) eroded[i] = 1;
      }
  const out = new Uint8Array(total);
  for (let z = 0, i = 0; z < bz; z++)
    for (let y = 0; y < by; y++)
      for (let x = 0; x < bx; x++, i++) {
        if (!m[i]) continue;
        const opened =
          eroded[i] ||
          (x > 0 && eroded[i - 1]) || (x < bx - 1 && eroded[i + 1]) ||
          (y > 0 && eroded[i - bx]) || (y < by - 1 && eroded[i + bx]) ||
          (z > 0 && eroded[i - bxy]) || (z < bz - 1 && eroded[i + bxy]);
        if (!opened) out[i] = 1;
      }
  return out;
}
