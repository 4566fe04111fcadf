/// <reference types="@webgpu/types" />
/**
 * One PointNet++ set-abstraction layer on the GPU (SSG or MSG), composed of the kernels: fpsGpu →
 * ballQueryGpu per scale → groupGpu → sharedMlpMaxPoolGpu → concat; the GPU version of
 * `lib/pointnet/set-abstraction.ts` `setAbstraction()` (indices, centres and neighbour sets equal
 * the twin; features within f32 MLP tolerance). Intermediates round-trip through host memory.
 */
import { checkInt } from '../../../lib/pointnet/common';
import { checkLayers } from '../../../lib/pointnet/mlp';
import { gatherPoints, type SetAbstractionOptions, type SetAbstractionResult } from '../../../lib/pointnet/set-abstraction';
import type { GpuContext } from '../../runtime/device';
import { ballQueryGpu } from '../ball-query/ball-query';
import { fpsGpu } from '../fps/fps';
import { groupGpu } from '../group/group';
import { sharedMlpMaxPoolGpu } from '../shared-mlp/shared-mlp';

export async function setAbstractionGpu(ctx: GpuContext, positions: Float32Array, n: number, opts: SetAbstractionOptions): Promise<SetAbstractionResult> {
  const where = 'setAbstractionGpu';
  checkInt(opts.npoint, 'npoint', where, 1, n);
  const C = opts.features ? opts.channels ?? 0 : 0;
  const couts = opts.scales.map((s, i) => checkLayers(s.mlp, 3 + C, `${where}.scales[${i}]`));
  const indices = await fpsGpu(ctx, positions, n, opts.npoint, opts.start ?? 0);
  const centres = gatherPoints(positions, indices);
  const m = opts.npoint;
  const total = couts.reduce((a, b) => a + b, 0);
  const out = new Float32Array(m * total);
  let off = 0;
  for (let i = 0; i < opts.scales.length; i++) {
    const s = opts.scales[i];
    const { idx } = await ballQueryGpu(ctx, positions, n, indices, s.radius, s.nsample);
    const g = await groupGpu(ctx, positions, n, idx, centres, { k: s.nsample, features: opts.features, channels: C });
    const pooled = await sharedMlpMaxPoolGpu(ctx, g, m, s.nsample, s.mlp);
    for (let j = 0; j < m; j++) out.set(pooled.subarray(j * couts[i], (j + 1) * couts[i]), j * total + off);
    off += couts[i];
  }
  return { indices, centres, features: out, channels: total };
}
