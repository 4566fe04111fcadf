/// <reference types="@webgpu/types" />
/**
 * GPU grouping/gather, the GPU version of `lib/pointnet/group.ts` `group()`: [m, k, 3 + C] with
 * relative coordinates and gathered features; equals the twin exactly.
 */
import { checkGroupArgs, type GroupOptions } from '../../../lib/pointnet/group';
import type { GpuContext } from '../../runtime/device';
import { checkBinding, words } from '../common';
import { groupWgsl } from './group.wgsl';

export async function groupGpu(ctx: GpuContext, positions: Float32Array, n: number, idx: Uint32Array, centres: Float32Array, opts: GroupOptions): Promise<Float32Array> {
  const where = 'groupGpu';
  ctx.assertAlive(where);
  const { m, C } = checkGroupArgs(positions, n, idx, centres, opts, where);
  const k = opts.k;
  const total = m * k * (3 + C);
  if (total === 0) return new Float32Array(0);
  checkBinding(ctx, 4 * total, 'grouped output', where);
  checkBinding(ctx, 4 * n * Math.max(3, C), 'point data', where);
  const wg = ctx.workgroupSize1D(256);
  const pipe = await ctx.pipeline({ code: groupWgsl(wg), label: 'pointnet.group' });
  const pos = ctx.upload(positions.subarray(0, 3 * n), 'group.pos');
  const featBytes = opts.features && C > 0 ? 4 * n * C : 16;
  const feat = opts.features && C > 0 ? ctx.upload(opts.features.subarray(0, n * C), 'group.feat') : ctx.storage(featBytes, 'group.nofeat');
  const ib = ctx.upload(idx, 'group.idx');
  const cb = ctx.upload(centres, 'group.centres');
  const out = ctx.storage(4 * total, 'group.out');
  const u = ctx.uniform(words([total, k, C, 0]), 'group.params');
  try {
    const bg = ctx.bindGroup(pipe, [
      { buffer: pos, size: 12 * n },
      { buffer: feat, size: featBytes },
      { buffer: ib, size: 4 * m * k },
      { buffer: cb, size: 12 * m },
      { buffer: out, size: 4 * total },
      u,
    ]);
    await ctx.run('pointnet.group', [{ pipeline: pipe, bindGroup: bg, workgroups: ctx.grid(total, wg) }]);
    return new Float32Array(await ctx.read(out, 0, 4 * total, 'group.read'));
  } finally {
    ctx.release(pos, feat, ib, cb, out, u);
  }
}
