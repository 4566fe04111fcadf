/// <reference types="@webgpu/types" />
/**
 * GPU farthest point sampling, the GPU version of `lib/pointnet/fps.ts` `fps()`: same f32
 * distances, ties to the lowest index, so the indices equal the twin's from the same start.
 * One workgroup (the largest power of two the adapter allows, ≤ 1024) runs every iteration in a
 * single dispatch; positions and the running distances live in one binding each.
 */
import { ArgumentError } from '../../../lib/errors';
import { checkInt, checkPositions } from '../../../lib/pointnet/common';
import type { GpuContext } from '../../runtime/device';
import { checkBinding, words } from '../common';
import { fpsWgsl } from './fps.wgsl';

export async function fpsGpu(ctx: GpuContext, positions: Float32Array, n: number, count: number, start = 0): Promise<Uint32Array> {
  const where = 'fpsGpu';
  ctx.assertAlive(where);
  checkPositions(positions, n, where);
  checkInt(count, 'count', where, 0, n);
  if (count === 0) {
    if (!Number.isInteger(start) || start < 0) throw new ArgumentError(`start must be an integer ≥ 0, got ${start}`, { where: `${where}.start` });
    return new Uint32Array(0);
  }
  checkInt(start, 'start', where, 0, n - 1);
  checkBinding(ctx, 12 * n, 'positions', where);
  const wg = ctx.workgroupSize1D(1024);
  const pipe = await ctx.pipeline({ code: fpsWgsl(wg), label: 'pointnet.fps' });
  const pos = ctx.upload(positions.subarray(0, 3 * n), 'fps.pos');
  const temp = ctx.storage(4 * n, 'fps.temp');
  const out = ctx.storage(4 * count, 'fps.out');
  const u = ctx.uniform(words([n, count, start, 0]), 'fps.params');
  try {
    const bg = ctx.bindGroup(pipe, [{ buffer: pos, size: 12 * n }, { buffer: temp, size: 4 * n }, { buffer: out, size: 4 * count }, u]);
    await ctx.run('pointnet.fps', [{ pipeline: pipe, bindGroup: bg, workgroups: [1, 1, 1] }]);
    return new Uint32Array(await ctx.read(out, 0, 4 * count, 'fps.read'));
  } finally {
    ctx.release(pos, temp, out, u);
  }
}
