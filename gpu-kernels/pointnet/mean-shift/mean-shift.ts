/// <reference types="@webgpu/types" />
/**
 * GPU flat-kernel mean shift, the GPU version of `lib/pointnet/model/mean-shift.ts`
 * `meanShiftClusters()`: the iterations (every point climbing to its mode, all points in parallel,
 * one dispatch) run on the GPU; the merge of the modes is the twin's own (`radiusComponents` at
 * bandwidth / 2, numbered by lowest point index, groups < `minPoints` → 0), run on the CPU.
 * Each invocation scans all n points per step (brute force, O(n²·iterations)): the model's
 * clustering sees ≤ 2048 points.
 */
import { ArgumentError } from '../../../lib/errors';
import { checkPositions } from '../../../lib/pointnet/common';
import { radiusComponents } from '../../../lib/pointnet/model/cluster';
import type { GpuContext } from '../../runtime/device';
import { checkBinding, words } from '../common';
import { meanShiftWgsl } from './mean-shift.wgsl';

export interface MeanShiftModes {
  /** Converged positions, xyz interleaved [n, 3]. */
  modes: Float32Array;
  /** Mean-shift steps taken per point (≤ maxIter). */
  iterations: Uint32Array;
}

function checkArgs(positions: Float32Array, n: number, bandwidth: number, maxIter: number, where: string): void {
  checkPositions(positions, n, where);
  if (!(bandwidth > 0) || !Number.isFinite(bandwidth)) throw new ArgumentError(`bandwidth must be a finite number > 0, got ${bandwidth}`, { where: `${where}.bandwidth` });
  if (!Number.isInteger(maxIter) || maxIter < 1) throw new ArgumentError(`maxIter must be an integer ≥ 1, got ${maxIter}`, { where: `${where}.maxIter` });
}

/** The iterate step: every point's mode (the twin's update rule and stopping test). */
export async function meanShiftModesGpu(ctx: GpuContext, positions: Float32Array, n: number, bandwidth: number, maxIter = 30): Promise<MeanShiftModes> {
  const where = 'meanShiftModesGpu';
  ctx.assertAlive(where);
  checkArgs(positions, n, bandwidth, maxIter, where);
  if (n === 0) return { modes: new Float32Array(0), iterations: new Uint32Array(0) };
  checkBinding(ctx, 12 * n, 'positions', where);
  const wg = ctx.workgroupSize1D(64);
  const pipe = await ctx.pipeline({ code: meanShiftWgsl(wg), label: 'pointnet.meanShift' });
  const b2 = Math.fround(bandwidth * bandwidth);
  const tol2 = Math.fround((1e-4 * bandwidth) ** 2);
  const pos = ctx.upload(positions.subarray(0, 3 * n), 'ms.pos');
  const out = ctx.storage(12 * n, 'ms.modes');
  const its = ctx.storage(4 * n, 'ms.iters');
  const u = ctx.uniform(words([n, maxIter, b2, tol2, 0], [2, 3]), 'ms.params');
  try {
    const bg = ctx.bindGroup(pipe, [{ buffer: pos, size: 12 * n }, { buffer: out, size: 12 * n }, { buffer: its, size: 4 * n }, u]);
    await ctx.run('pointnet.meanShift', [{ pipeline: pipe, bindGroup: bg, workgroups: ctx.grid(n, wg) }]);
    const modes = new Float32Array(await ctx.read(out, 0, 12 * n, 'ms.read'));
    const iterations = new Uint32Array(await ctx.read(its, 0, 4 * n, 'ms.readIters'));
    return { modes, iterations };
  } finally {
    ctx.release(pos, out, its, u);
  }
}

/** `meanShiftClusters` with the iterations on the GPU and the twin's merge of the modes. */
export async function meanShiftClustersGpu(ctx: GpuContext, positions: Float32Array, n: number, bandwidth: number, minPoints = 1, maxIter = 30): Promise<{ labels: Int32Array; count: number; modes: Float32Array }> {
  const where = 'meanShiftClustersGpu';
  checkArgs(positions, n, bandwidth, maxIter, where);
  if (!Number.isInteger(minPoints) || minPoints < 1) throw new ArgumentError(`minPoints must be an integer ≥ 1, got ${minPoints}`, { where: `${where}.minPoints` });
  const { modes } = await meanShiftModesGpu(ctx, positions, n, bandwidth, maxIter);
  if (n === 0) return { labels: new Int32Array(0), count: 0, modes: new Float32Array(0) };
  const { labels, count } = radiusComponents(modes, n, bandwidth / 2, minPoints);
  return { labels, count, modes };
}
