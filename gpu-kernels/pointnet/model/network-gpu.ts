/// <reference types="@webgpu/types" />
/**
 * The PointNet++ instance network on the GPU kernels (gpu-kernels/pointnet): the GPU version of
 * `lib/pointnet/model/network.ts` `runNetwork` — setAbstractionGpu ×3 (fpsGpu → ballQueryGpu →
 * groupGpu → sharedMlpMaxPoolGpu), FP ×3 (interpolateGpu + skip concat + sharedMlpGpu), heads
 * (sharedMlpGpu; the output layers without ReLU). FPS indices and neighbour sets equal the twin's;
 * features agree within f32 MLP tolerance.
 */
import type { PointNetCard } from '../../../lib/pointnet/model/card';
import { heightFeature, levelCounts, softmaxRows, type NetworkOutput } from '../../../lib/pointnet/model/network';
import type { PointNetWeights } from '../../../lib/pointnet/model/weights';
import type { MlpLayer } from '../../../lib/pointnet/mlp';
import type { GpuContext } from '../../runtime/device';
import { interpolateGpu } from '../interpolate/interpolate';
import { setAbstractionGpu } from '../set-abstraction/set-abstraction';
import { sharedMlpGpu } from '../shared-mlp/shared-mlp';

function concatRows(a: Float32Array, ca: number, b: Float32Array, cb: number, rows: number): Float32Array {
  const c = ca + cb;
  const out = new Float32Array(rows * c);
  for (let r = 0; r < rows; r++) {
    out.set(a.subarray(r * ca, (r + 1) * ca), r * c);
    out.set(b.subarray(r * cb, (r + 1) * cb), r * c + ca);
  }
  return out;
}

async function fpGpu(
  ctx: GpuContext, dense: Float32Array, n: number, coarse: Float32Array, m: number,
  feats: Float32Array, C: number, skip: Float32Array, cs: number, mlp: MlpLayer[],
): Promise<Float32Array> {
  const interp = await interpolateGpu(ctx, dense, n, coarse, m, feats, C);
  return sharedMlpGpu(ctx, concatRows(interp, C, skip, cs, n), n, mlp);
}

async function headGpu(ctx: GpuContext, x: Float32Array, rows: number, hidden: MlpLayer[], out: MlpLayer): Promise<Float32Array> {
  const h = await sharedMlpGpu(ctx, x, rows, hidden);
  return sharedMlpGpu(ctx, h, rows, [out], { relu: false });
}

export async function runNetworkGpu(ctx: GpuContext, card: PointNetCard, w: PointNetWeights, xyz: Float32Array, n: number): Promise<NetworkOutput> {
  const [m1, m2, m3] = levelCounts(card, n);
  const f0 = heightFeature(xyz, n);
  const s1 = await setAbstractionGpu(ctx, xyz, n, { npoint: m1, features: f0, channels: 1, scales: [{ radius: card.radius[0], nsample: card.nsample[0], mlp: w.sa1 }] });
  const s2 = await setAbstractionGpu(ctx, s1.centres, m1, { npoint: m2, features: s1.features, channels: s1.channels, scales: [{ radius: card.radius[1], nsample: card.nsample[1], mlp: w.sa2 }] });
  const s3 = await setAbstractionGpu(ctx, s2.centres, m2, { npoint: m3, features: s2.features, channels: s2.channels, scales: [{ radius: card.radius[2], nsample: card.nsample[2], mlp: w.sa3 }] });
  const u2 = await fpGpu(ctx, s2.centres, m2, s3.centres, m3, s3.features, s3.channels, s2.features, s2.channels, w.fp3);
  const c2 = w.fp3[w.fp3.length - 1].cout;
  const u1 = await fpGpu(ctx, s1.centres, m1, s2.centres, m2, u2, c2, s1.features, s1.channels, w.fp2);
  const c1 = w.fp2[w.fp2.length - 1].cout;
  const u0 = await fpGpu(ctx, xyz, n, s1.centres, m1, u1, c1, f0, 1, w.fp1);
  const logits = await headGpu(ctx, u0, n, w.clsHidden, w.clsOut);
  const offsets = await headGpu(ctx, u0, n, w.offHidden, w.offOut);
  const C = w.clsOut.cout;
  return { probs: softmaxRows(logits, n, C), offsets, classes: C, trace: { fps: [s1.indices, s2.indices, s3.indices], sa: [s1.features, s2.features, s3.features], fp: [u2, u1, u0], logits } };
}
