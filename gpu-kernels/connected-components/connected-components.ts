/// <reference types="@webgpu/types" />
/**
 * GPU connected-component labelling — the GPU version of `lib/segmentation/connected-components.ts`
 * `connectedComponents()`: same arguments, same errors, and identical labels (1..count in order of
 * each component's first voxel in memory order; background 0).
 *
 * Union-find with pointer jumping: init → hook (atomicMin unions with backward neighbours) →
 * compress → check, repeated until the check finds no neighbour pair with different roots; then
 * compact renumbering on the device (per-workgroup root counts, host exclusive scan of the block
 * counts, per-workgroup scan, in-place finalize).
 *
 * Volumes whose label array exceeds one storage binding are labelled in z-slabs (whole xy planes)
 * on the device, then slab borders are merged and labels numbered on the host.
 */
import { ArgumentError, ShapeError } from '../../lib/errors';
import type { Connectivity } from '../../lib/segmentation/connected-components';
import { backwardNeighbours } from '../../lib/segmentation/connected-components';
import type { Vec3 } from '../../lib/volume';
import type { GpuContext } from '../runtime/device';
import { GpuLimitsError } from '../runtime/errors';
import {
  ccCheckWgsl,
  ccCompressWgsl,
  ccCountWgsl,
  ccFinalizeWgsl,
  ccHookWgsl,
  ccInitWgsl,
  ccRankWgsl,
  ccUniform,
} from './connected-components.wgsl';

export interface GpuCcStats {
  /** Hook/compress/check rounds until stable (max over slabs). */
  rounds: number;
  /** Number of z-slabs (1 when the volume fits a binding). */
  slabs: number;
}

const MAX_ROUNDS = 64;

function validate(mask: Uint8Array, shape: Vec3, connectivity: Connectivity): void {
  const where = 'connectedComponentsGpu';
  for (const n of shape) {
    if (!Number.isInteger(n) || n < 1) throw new ShapeError(`shape must be positive integers, got ${shape.join('×')}`, { where });
  }
  const total = shape[0] * shape[1] * shape[2];
  if (!(mask instanceof Uint8Array)) throw new ArgumentError('mask must be a Uint8Array', { where: `${where}.mask` });
  if (mask.length !== total) throw new ShapeError(`mask has ${mask.length} voxels but shape needs ${total}`, { where });
  if (connectivity !== 6 && connectivity !== 18 && connectivity !== 26) {
    throw new ArgumentError(`connectivity must be 6, 18 or 26, got ${String(connectivity)}`, { where });
  }
}

/**
 * Labels the connected components of `mask` (nonzero = foreground) under 6-, 18- or
 * 26-connectivity. The input is not modified.
 */
export async function connectedComponentsGpu(
  ctx: GpuContext,
  mask: Uint8Array,
  shape: Vec3,
  connectivity: Connectivity = 6,
  stats?: GpuCcStats,
): Promise<{ labels: Uint32Array; count: number }> {
  ctx.assertAlive('connectedComponentsGpu');
  validate(mask, shape, connectivity);
  const [nx, ny, nz] = shape;
  const total = nx * ny * nz;
  const maxVoxels = ctx.maxBindingElements(4);
  if (total <= maxVoxels) {
    const { buffer: p, rounds } = await labelRoots(ctx, mask, shape, connectivity);
    try {
      const out = await renumber(ctx, p, total);
      if (stats) Object.assign(stats, { rounds, slabs: 1 });
      return out;
    } finally {
      ctx.release(p);
    }
  }
  const plane = nx * ny;
  if (plane > maxVoxels) {
    throw new GpuLimitsError(`one xy plane (${plane} voxels) exceeds a storage binding of ${maxVoxels} voxels`, {
      where: 'connectedComponentsGpu',
    });
  }
  return bySlabs(ctx, mask, shape, connectivity, Math.floor(maxVoxels / plane), stats);
}

/** Runs union-find until stable; returns the device buffer of compressed 1-based roots. */
async function labelRoots(
  ctx: GpuContext,
  mask: Uint8Array,
  shape: Vec3,
  connectivity: Connectivity,
): Promise<{ buffer: GPUBuffer; rounds: number }> {
  const total = shape[0] * shape[1] * shape[2];
  const bytes = total * 4;
  const wg = ctx.workgroupSize1D(256);
  const [init, hook, compress, check] = await Promise.all([
    ctx.pipeline({ code: ccInitWgsl(wg), label: 'cc.init' }),
    ctx.pipeline({ code: ccHookWgsl(wg, connectivity), label: `cc.hook${connectivity}` }),
    ctx.pipeline({ code: ccCompressWgsl(wg), label: 'cc.compress' }),
    ctx.pipeline({ code: ccCheckWgsl(wg, connectivity), label: `cc.check${connectivity}` }),
  ]);
  const u = ctx.uniform(ccUniform(shape), 'cc.params');
  const maskBuf = ctx.upload(mask, 'cc.mask');
  const p = ctx.storage(bytes, 'cc.parents');
  const flag = ctx.storage(4, 'cc.flag');
  const grid = ctx.grid(total, wg);
  const P = { buffer: p, size: bytes };
  try {
    await ctx.run('cc.init', [{ pipeline: init, bindGroup: ctx.bindGroup(init, [u, { buffer: maskBuf, size: Math.ceil(total / 4) * 4 }, P]), workgroups: grid }]);
    const hookBg = ctx.bindGroup(hook, [u, P]);
    const compressBg = ctx.bindGroup(compress, [u, P]);
    const checkBg = ctx.bindGroup(check, [u, P, { buffer: flag, size: 4 }]);
    const zero = new Uint32Array(1);
    for (let round = 1; round <= MAX_ROUNDS; round++) {
      ctx.write(flag, zero);
      await ctx.run('cc.round', [
        { pipeline: hook, bindGroup: hookBg, workgroups: grid },
        { pipeline: compress, bindGroup: compressBg, workgroups: grid },
        { pipeline: check, bindGroup: checkBg, workgroups: grid },
      ]);
      const f = new Uint32Array(await ctx.read(flag, 0, 4, 'cc.flag'));
      if (f[0] === 0) return { buffer: p, rounds: round };
    }
  } catch (e) {
    ctx.release(p);
    throw e;
  } finally {
    ctx.release(u, maskBuf, flag);
  }
  ctx.release(p);
  throw new GpuLimitsError(`union-find did not converge in ${MAX_ROUNDS} rounds`, { where: 'connectedComponentsGpu' });
}

/** Compact labels 1..count in order of first appearance, from compressed roots in `p`. */
async function renumber(ctx: GpuContext, p: GPUBuffer, total: number): Promise<{ labels: Uint32Array; count: number }> {
  const bytes = total * 4;
  const wg = ctx.workgroupSize1D(256);
  const [countP, rankP, finalP] = await Promise.all([
    ctx.pipeline({ code: ccCountWgsl(wg), label: 'cc.count' }),
    ctx.pipeline({ code: ccRankWgsl(wg), label: 'cc.rank' }),
    ctx.pipeline({ code: ccFinalizeWgsl(wg), label: 'cc.finalize' }),
  ]);
  const nBlocks = Math.ceil(total / wg);
  const grid = ctx.grid(total, wg);
  const u = ctx.uniform(ccUniform([total, 1, 1]), 'cc.params');
  const blocks = ctx.storage(nBlocks * 4, 'cc.blocks');
  const r = ctx.storage(bytes, 'cc.labels');
  const P = { buffer: p, size: bytes };
  const B = { buffer: blocks, size: nBlocks * 4 };
  try {
    await ctx.run('cc.count', [{ pipeline: countP, bindGroup: ctx.bindGroup(countP, [u, P, B]), workgroups: grid }]);
    const counts = new Uint32Array(await ctx.read(blocks, 0, nBlocks * 4, 'cc.blocks'));
    let acc = 0;
    for (let b = 0; b < nBlocks; b++) {
      const c = counts[b];
      counts[b] = acc;
      acc += c;
    }
    ctx.write(blocks, counts);
    await ctx.run('cc.relabel', [
      { pipeline: rankP, bindGroup: ctx.bindGroup(rankP, [u, P, B, { buffer: r, size: bytes }]), workgroups: grid },
      { pipeline: finalP, bindGroup: ctx.bindGroup(finalP, [u, P, { buffer: r, size: bytes }]), workgroups: grid },
    ]);
    const labels = new Uint32Array(await ctx.read(r, 0, bytes, 'cc.labels'));
    return { labels, count: acc };
  } finally {
    ctx.release(u, blocks, r);
  }
}

/** Slabs of whole xy planes on the device; border merge and numbering on the host. */
async function bySlabs(
  ctx: GpuContext,
  mask: Uint8Array,
  shape: Vec3,
  connectivity: Connectivity,
  planesPerSlab: number,
  stats?: GpuCcStats,
): Promise<{ labels: Uint32Array; count: number }> {
  const [nx, ny, nz] = shape;
  const plane = nx * ny;
  const total = plane * nz;
  // roots[i] = global 0-based index of voxel i's slab-local root (+1; 0 = background).
  const roots = new Uint32Array(total);
  let rounds = 0;
  let slabs = 0;
  const starts: number[] = [];
  for (let z0 = 0; z0 < nz; z0 += planesPerSlab) {
    const dz = Math.min(planesPerSlab, nz - z0);
    const off = z0 * plane;
    const n = dz * plane;
    const res = await labelRoots(ctx, mask.subarray(off, off + n), [nx, ny, dz], connectivity);
    try {
      const local = new Uint32Array(await ctx.read(res.buffer, 0, n * 4, 'cc.slab'));
      for (let i = 0; i < n; i++) roots[off + i] = local[i] === 0 ? 0 : local[i] + off;
    } finally {
      ctx.release(res.buffer);
    }
    rounds = Math.max(rounds, res.rounds);
    slabs++;
    if (z0 > 0) starts.push(z0);
  }
  // Union-find over roots (1-based) across slab borders, hooking under the smaller root.
  const parent = new Map<number, number>();
  const find = (a: number): number => {
    let r = a;
    for (let p = parent.get(r); p !== undefined && p !== r; p = parent.get(r)) r = p;
    let x = a;
    while (x !== r) {
      const nxt = parent.get(x)!;
      parent.set(x, r);
      x = nxt;
    }
    return r;
  };
  const crossing = backwardNeighbours(connectivity).filter(([, , dz]) => dz === -1);
  for (const z of starts) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        const i = x + nx * (y + ny * z);
        if (roots[i] === 0) continue;
        for (const [dx, dy] of crossing) {
          const xx = x + dx;
          const yy = y + dy;
          if (xx < 0 || yy < 0 || xx >= nx || yy >= ny) continue;
          const j = i + dx + nx * dy - plane;
          if (roots[j] === 0) continue;
          const a = find(roots[i]);
          const b = find(roots[j]);
          if (a < b) parent.set(b, a);
          else if (b < a) parent.set(a, b);
        }
      }
    }
  }
  const labelOf = new Map<number, number>();
  const labels = new Uint32Array(total);
  let count = 0;
  for (let i = 0; i < total; i++) {
    const r0 = roots[i];
    if (r0 === 0) continue;
    const r = parent.size > 0 ? find(r0) : r0;
    let l = labelOf.get(r);
    if (l === undefined) labelOf.set(r, (l = ++count));
    labels[i] = l;
  }
  if (stats) Object.assign(stats, { rounds, slabs });
  return { labels, count };
}
