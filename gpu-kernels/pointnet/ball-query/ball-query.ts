/// <reference types="@webgpu/types" />
/**
 * GPU ball query, the GPU version of `lib/pointnet/ball-query.ts` `ballQuery()`: the reference
 * scan in index order per centre with the same f32 distances, so indices and counts equal the
 * twin (and the brute-force loop) exactly.
 */
import { centreCoords, checkRadius, type BallQueryResult, type Centres } from '../../../lib/pointnet/ball-query';
import { checkInt, checkPositions } from '../../../lib/pointnet/common';
import type { GpuContext } from '../../runtime/device';
import { checkBinding, words } from '../common';
import { ballQueryWgsl } from './ball-query.wgsl';

export async function ballQueryGpu(ctx: GpuContext, positions: Float32Array, n: number, centres: Centres, radius: number, k: number): Promise<BallQueryResult> {
  const where = 'ballQueryGpu';
  ctx.assertAlive(where);
  checkPositions(positions, n, where);
  checkInt(k, 'k', where, 1);
  const r2 = checkRadius(radius, where);
  const { coords, m, fallback } = centreCoords(positions, n, centres, where);
  const idx = new Uint32Array(m * k);
  const counts = new Uint32Array(m);
  if (m === 0) return { idx, counts };
  if (n === 0) {
    if (fallback) for (let j = 0; j < m; j++) idx.fill(fallback[j], j * k, j * k + k);
    return { idx, counts };
  }
  checkBinding(ctx, 12 * n, 'positions', where);
  checkBinding(ctx, 4 * m * k, 'neighbour indices', where);
  const wg = ctx.workgroupSize1D(64);
  const pipe = await ctx.pipeline({ code: ballQueryWgsl(wg), label: 'pointnet.ballQuery' });
  const pos = ctx.upload(positions.subarray(0, 3 * n), 'bq.pos');
  const cen = ctx.upload(coords, 'bq.centres');
  const out = ctx.storage(4 * m * k, 'bq.idx');
  const cnt = ctx.storage(4 * m, 'bq.counts');
  const u = ctx.uniform(words([n, m, k, r2, 0], [3]), 'bq.params');
  try {
    const bg = ctx.bindGroup(pipe, [
      { buffer: pos, size: 12 * n },
      { buffer: cen, size: 12 * m },
      { buffer: out, size: 4 * m * k },
      { buffer: cnt, size: 4 * m },
      u,
    ]);
    await ctx.run('pointnet.ballQuery', [{ pipeline: pipe, bindGroup: bg, workgroups: ctx.grid(m, wg) }]);
    idx.set(new Uint32Array(await ctx.read(out, 0, 4 * m * k, 'bq.read')));
    counts.set(new Uint32Array(await ctx.read(cnt, 0, 4 * m, 'bq.readCounts')));
  } finally {
    ctx.release(pos, cen, out, cnt, u);
  }
  if (fallback) for (let j = 0; j < m; j++) if (counts[j] === 0) idx.fill(fallback[j], j * k, j * k + k);
  return { idx, counts };
}
