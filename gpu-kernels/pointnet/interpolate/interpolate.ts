/// <reference types="@webgpu/types" />
/**
 * GPU 3-NN interpolation (feature propagation), the GPU version of `lib/pointnet/interpolate.ts`:
 * the three neighbours and their squared distances equal the twin's `threeNN` exactly; the
 * interpolated features (f32 weights and sums) agree with `interpolate` to ≤ 1e-5.
 */
import { ArgumentError, ShapeError } from '../../../lib/errors';
import { checkInt, checkPositions } from '../../../lib/pointnet/common';
import type { ThreeNN } from '../../../lib/pointnet/interpolate';
import type { GpuContext } from '../../runtime/device';
import { checkBinding, words } from '../common';
import { interpolateWgsl } from './interpolate.wgsl';

export interface InterpolateGpuResult extends ThreeNN {
  /** [n, C] interpolated features. */
  features: Float32Array;
}

/** 3-NN and interpolated features in one pass. */
export async function threeInterpolateGpu(
  ctx: GpuContext,
  unknown: Float32Array,
  n: number,
  known: Float32Array,
  m: number,
  knownFeatures: Float32Array,
  channels: number,
): Promise<InterpolateGpuResult> {
  const where = 'interpolateGpu';
  ctx.assertAlive(where);
  checkPositions(unknown, n, where, 'unknown');
  checkPositions(known, m, where, 'known');
  checkInt(channels, 'channels', where, 1);
  if (m < 3) throw new ArgumentError(`3-NN needs at least 3 known points, got ${m}`, { where: `${where}.known` });
  if (knownFeatures.length < m * channels) throw new ShapeError(`knownFeatures must hold ${m}·${channels} values`, { where: `${where}.knownFeatures` });
  const C = channels;
  if (n === 0) return { idx: new Uint32Array(0), dist2: new Float32Array(0), features: new Float32Array(0) };
  for (const [bytes, what] of [[12 * n, 'unknown points'], [12 * m, 'known points'], [4 * m * C, 'known features'], [4 * n * C, 'output features']] as const) {
    checkBinding(ctx, bytes, what, where);
  }
  const wg = ctx.workgroupSize1D(64);
  const pipe = await ctx.pipeline({ code: interpolateWgsl(wg), label: 'pointnet.interpolate' });
  const ub = ctx.upload(unknown.subarray(0, 3 * n), 'interp.unknown');
  const kb = ctx.upload(known.subarray(0, 3 * m), 'interp.known');
  const fb = ctx.upload(knownFeatures.subarray(0, m * C), 'interp.feat');
  const nn = ctx.storage(12 * n, 'interp.nn');
  const d2 = ctx.storage(12 * n, 'interp.d2');
  const out = ctx.storage(4 * n * C, 'interp.out');
  const u = ctx.uniform(words([n, m, C, 0]), 'interp.params');
  try {
    const bg = ctx.bindGroup(pipe, [
      { buffer: ub, size: 12 * n },
      { buffer: kb, size: 12 * m },
      { buffer: fb, size: 4 * m * C },
      { buffer: nn, size: 12 * n },
      { buffer: d2, size: 12 * n },
      { buffer: out, size: 4 * n * C },
      u,
    ]);
    await ctx.run('pointnet.interpolate', [{ pipeline: pipe, bindGroup: bg, workgroups: ctx.grid(n, wg) }]);
    const idx = new Uint32Array(await ctx.read(nn, 0, 12 * n, 'interp.readNN'));
    const dist2 = new Float32Array(await ctx.read(d2, 0, 12 * n, 'interp.readD2'));
    const features = new Float32Array(await ctx.read(out, 0, 4 * n * C, 'interp.read'));
    return { idx, dist2, features };
  } finally {
    ctx.release(ub, kb, fb, nn, d2, out, u);
  }
}

/** Interpolated features [n, C], as the twin's `interpolate()`. */
export async function interpolateGpu(ctx: GpuContext, unknown: Float32Array, n: number, known: Float32Array, m: number, knownFeatures: Float32Array, channels: number): Promise<Float32Array> {
  return (await threeInterpolateGpu(ctx, unknown, n, known, m, knownFeatures, channels)).features;
}
