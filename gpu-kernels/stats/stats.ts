/// <reference types="@webgpu/types" />
/**
 * GPU per-instance statistics and remove-small/relabel — the GPU versions of
 * `lib/segmentation/stats.ts` `instanceStats()` and `lib/segmentation/relabel.ts`
 * `removeSmallAndRelabel()`. Counts, bounding boxes and relabelled volumes equal the CPU twins
 * exactly; centroid sums are exact 64-bit integers, so centroids equal them too.
 *
 * Labels are processed in z-slabs that fit one storage binding (whole volume when it fits), all
 * accumulating into one record per label. Sparse label values (max label above the voxel count or
 * too many records for a binding) are compacted on the host first for stats; relabel needs a
 * dense map and throws GPU_LIMITS there.
 */
import { ArgumentError } from '../../lib/errors';
import { applyAffine, type InstanceStats } from '../../lib/segmentation/stats';
import type { RelabelResult } from '../../lib/segmentation/relabel';
import { type LabelVolume, type Vec3, identityAffine, validateVolume } from '../../lib/volume';
import type { GpuContext } from '../runtime/device';
import { GpuLimitsError } from '../runtime/errors';
import { ACC_WORDS, F, relabelMapWgsl, statsAccumulateWgsl, statsUniform } from './stats.wgsl';

function maxOf(a: Uint32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) if (a[i] > m) m = a[i];
  return m;
}

/** z-slabs of whole planes fitting `maxVoxels`. */
function zSlabs(shape: Vec3, maxVoxels: number, where: string): [number, number][] {
  const plane = shape[0] * shape[1];
  if (plane > maxVoxels) throw new GpuLimitsError(`one xy plane (${plane} voxels) exceeds a storage binding of ${maxVoxels} voxels`, { where });
  const step = Math.floor(maxVoxels / plane);
  const out: [number, number][] = [];
  for (let z0 = 0; z0 < shape[2]; z0 += step) out.push([z0, Math.min(step, shape[2] - z0)]);
  return out;
}

/** Accumulates records for labels 1..k (dense) over the volume; returns the raw u32 records. */
async function accumulate(ctx: GpuContext, labels: Uint32Array, shape: Vec3, k: number, where: string): Promise<Uint32Array> {
  const accBytes = (k + 1) * ACC_WORDS * 4;
  if (accBytes > Math.min(ctx.limits.maxStorageBufferBindingSize, ctx.limits.maxBufferSize)) {
    throw new GpuLimitsError(`${k} labels need ${accBytes} bytes of accumulators, above one storage binding`, { where });
  }
  const init = new Uint32Array((k + 1) * ACC_WORDS);
  for (let l = 0; l <= k; l++) {
    const b = l * ACC_WORDS;
    init.fill(0xffffffff, b + F.min, b + F.min + 3);
    init[b + F.first] = 0xffffffff;
  }
  const wg = ctx.workgroupSize1D(256);
  const pipe = await ctx.pipeline({ code: statsAccumulateWgsl(wg), label: 'stats.accumulate' });
  const acc = ctx.upload(init, 'stats.acc');
  const plane = shape[0] * shape[1];
  try {
    for (const [z0, dz] of zSlabs(shape, ctx.maxBindingElements(4), where)) {
      const n = dz * plane;
      const lab = ctx.upload(labels.subarray(z0 * plane, z0 * plane + n), 'stats.labels');
      const u = ctx.uniform(statsUniform(shape[0], shape[1], n, z0, k), 'stats.params');
      try {
        const bg = ctx.bindGroup(pipe, [u, { buffer: lab, size: n * 4 }, { buffer: acc, size: accBytes }]);
        await ctx.run('stats.accumulate', [{ pipeline: pipe, bindGroup: bg, workgroups: ctx.grid(n, wg) }]);
      } finally {
        ctx.release(lab, u);
      }
    }
    return new Uint32Array(await ctx.read(acc, 0, accBytes, 'stats.read'));
  } finally {
    ctx.release(acc);
  }
}

/**
 * Per-instance statistics for every label > 0 (ascending labelId), as `instanceStats()`.
 * The input is not modified.
 */
export async function instanceStatsGpu(ctx: GpuContext, labels: LabelVolume): Promise<InstanceStats[]> {
  const where = 'instanceStatsGpu';
  ctx.assertAlive(where);
  validateVolume(labels, where);
  if (!(labels.data instanceof Uint32Array)) throw new ArgumentError('label data must be a Uint32Array', { where: `${where}.labels` });
  const d = labels.data;
  const total = d.length;
  if (total >= 2 ** 32) throw new GpuLimitsError(`${total} voxels exceed 32-bit indexing`, { where });
  let max = maxOf(d);
  let data = d;
  let ids: number[] | null = null; // compact id - 1 -> original label
  const maxRecords = Math.floor(Math.min(ctx.limits.maxStorageBufferBindingSize, ctx.limits.maxBufferSize) / (ACC_WORDS * 4)) - 1;
  if (max > total || max > maxRecords) {
    // Sparse label values: compact on the host (ids in ascending order).
    const present = Array.from(new Set(d)).filter((l) => l !== 0).sort((a, b) => a - b);
    const index = new Map(present.map((l, s) => [l, s + 1]));
    data = d.map((l) => (l === 0 ? 0 : index.get(l)!));
    ids = present;
    max = present.length;
  }
  if (max === 0) return [];
  const rec = await accumulate(ctx, data, labels.shape, max, where);
  const affine = labels.affine ?? identityAffine(labels.spacing);
  const voxelVolume = labels.spacing[0] * labels.spacing[1] * labels.spacing[2];
  const out: InstanceStats[] = [];
  for (let l = 1; l <= max; l++) {
    const b = l * ACC_WORDS;
    const n = rec[b + F.count];
    if (n === 0) continue;
    const sum = (o: number) => rec[b + o + 1] * 4294967296 + rec[b + o];
    const centroid: Vec3 = [sum(F.sx) / n, sum(F.sy) / n, sum(F.sz) / n];
    out.push({
      labelId: ids ? ids[l - 1] : l,
      voxels: n,
      volume: n * voxelVolume,
      centroid,
      centroidWorld: applyAffine(affine, centroid),
      bbox: {
        min: [rec[b + F.min], rec[b + F.min + 1], rec[b + F.min + 2]],
        max: [rec[b + F.max], rec[b + F.max + 1], rec[b + F.max + 2]],
      },
    });
  }
  return out;
}

/**
 * Removes instances with fewer than `minVoxels` voxels and relabels the rest 1..count in order of
 * first appearance in memory order, as `removeSmallAndRelabel()`. `shape` only sets the slab
 * planes; any factorisation of labels.length works (default: one line).
 */
export async function removeSmallAndRelabelGpu(
  ctx: GpuContext,
  labels: Uint32Array,
  minVoxels: number,
  shape: Vec3 = [labels.length, 1, 1],
): Promise<RelabelResult> {
  const where = 'removeSmallAndRelabelGpu';
  ctx.assertAlive(where);
  if (!(labels instanceof Uint32Array)) throw new ArgumentError('labels must be a Uint32Array', { where: `${where}.labels` });
  if (!Number.isFinite(minVoxels) || minVoxels < 0) {
    throw new ArgumentError(`minVoxels must be a finite number ≥ 0, got ${minVoxels}`, { where: `${where}.minVoxels`, hint: 'Use 0 to keep every instance.' });
  }
  validateVolume({ data: labels, shape, spacing: [1, 1, 1] }, where);
  const total = labels.length;
  const max = maxOf(labels);
  if (max === 0) return { labels: new Uint32Array(total), count: 0 };
  const mapBytes = (max + 1) * 4;
  const maxBinding = Math.min(ctx.limits.maxStorageBufferBindingSize, ctx.limits.maxBufferSize);
  if (mapBytes > maxBinding || (max + 1) * ACC_WORDS * 4 > maxBinding) {
    throw new GpuLimitsError(`label values up to ${max} need a dense map above one storage binding`, {
      where,
      hint: 'Relabel consecutively first (or use the CPU twin removeSmallAndRelabel).',
    });
  }
  const rec = await accumulate(ctx, labels, shape, max, where);
  const kept: [number, number][] = [];
  for (let l = 1; l <= max; l++) {
    const n = rec[l * ACC_WORDS + F.count];
    if (n > 0 && n >= minVoxels) kept.push([rec[l * ACC_WORDS + F.first], l]);
  }
  kept.sort((a, b) => a[0] - b[0]);
  const map = new Uint32Array(max + 1);
  kept.forEach(([, l], r) => (map[l] = r + 1));
  const wg = ctx.workgroupSize1D(256);
  const pipe = await ctx.pipeline({ code: relabelMapWgsl(wg), label: 'stats.relabel' });
  const mapBuf = ctx.upload(map, 'relabel.map');
  const out = new Uint32Array(total);
  const plane = shape[0] * shape[1];
  try {
    for (const [z0, dz] of zSlabs(shape, ctx.maxBindingElements(4), where)) {
      const n = dz * plane;
      const lab = ctx.upload(labels.subarray(z0 * plane, z0 * plane + n), 'relabel.labels');
      const dst = ctx.storage(n * 4, 'relabel.out');
      const u = ctx.uniform(statsUniform(shape[0], shape[1], n, z0, max), 'relabel.params');
      try {
        const bg = ctx.bindGroup(pipe, [u, { buffer: lab, size: n * 4 }, { buffer: mapBuf, size: mapBytes }, { buffer: dst, size: n * 4 }]);
        await ctx.run('stats.relabel', [{ pipeline: pipe, bindGroup: bg, workgroups: ctx.grid(n, wg) }]);
        out.set(new Uint32Array(await ctx.read(dst, 0, n * 4, 'relabel.read')), z0 * plane);
      } finally {
        ctx.release(lab, dst, u);
      }
    }
  } finally {
    ctx.release(mapBuf);
  }
  return { labels: out, count: kept.length };
}
