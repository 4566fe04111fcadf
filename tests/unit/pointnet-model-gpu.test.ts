/**
 * The PointNet++ instance model on the WebGPU kernels (gpu-kernels/pointnet/model, Dawn on the
 * test adapter — lavapipe here) against the CPU twins: FPS indices identical, logits / offsets within
 * f32 tolerance, and ≥ 99 % of the points with the same instance after matching (both ways), on a
 * held-out generated scene and on the real PCL scan.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { testContext } from '../../gpu-kernels/test-setup';
import type { GpuContext } from '../../gpu-kernels/runtime/device';
import { runNetworkGpu, segmentPointsGpu } from '../../gpu-kernels/pointnet/model';
import { readPointCloud } from '../../lib/formats/pointcloud';
import { matchedVoxelAgreement } from '../../lib/metrics';
import { prepareCloud, prepareOptions, runNetwork, segmentPoints } from '../../lib/pointnet/model';
import { VALIDATION_SEED_START, generateScene } from '../../lib/synth/scenes';
import { committedModel } from './pointnet-model-helpers';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await testContext();
});

function agreement(a: Int32Array, b: Int32Array): number {
  return Math.min(matchedVoxelAgreement(a, b), matchedVoxelAgreement(b, a));
}

describe('PointNet++ instance model: GPU vs CPU twin', () => {
  it('network: identical FPS, logits and offsets within 1e-4', async () => {
    const model = committedModel();
    const scene = generateScene({ seed: VALIDATION_SEED_START + 600, kind: 'tabletop' });
    const prep = prepareCloud(scene.cloud, prepareOptions(model.card));
    const cpu = runNetwork(model.card, model.weights, prep.input, prep.nInput);
    const gpu = await runNetworkGpu(ctx, model.card, model.weights, prep.input, prep.nInput);
    for (let l = 0; l < 3; l++) expect(Array.from(gpu.trace.fps[l])).toEqual(Array.from(cpu.trace.fps[l]));
    let d = 0;
    for (let i = 0; i < cpu.trace.logits.length; i++) d = Math.max(d, Math.abs(cpu.trace.logits[i] - gpu.trace.logits[i]));
    for (let i = 0; i < cpu.offsets.length; i++) d = Math.max(d, Math.abs(cpu.offsets[i] - gpu.offsets[i]));
    expect(d).toBeLessThanOrEqual(1e-4);
  });

  it('≥ 99 % same instance after matching: held-out scene and the real scan', async () => {
    const model = committedModel();
    const scene = generateScene({ seed: VALIDATION_SEED_START + 601, kind: 'tabletop' });
    const file = '../shared/data/pointclouds/pcl/milk_cartoon_all_small_clorox.pcd';
    const real = readPointCloud(new Uint8Array(readFileSync(file)), file);
    for (const cloud of [scene.cloud, real]) {
      const cpu = segmentPoints(cloud, model);
      const gpu = await segmentPointsGpu(ctx, cloud, model);
      expect(cpu.instances.length).toBeGreaterThan(0);
      const agree = agreement(cpu.instance, gpu.instance);
      console.log(`GPU vs CPU: ${cloud.count} points, ${cpu.instances.length} / ${gpu.instances.length} instances, agreement ${(100 * agree).toFixed(3)} %`);
      expect(agree).toBeGreaterThanOrEqual(0.99);
      let sameClass = 0;
      for (let i = 0; i < cloud.count; i++) if (cpu.classIds[i] === gpu.classIds[i]) sameClass++;
      expect(sameClass / cloud.count).toBeGreaterThanOrEqual(0.99);
    }
  });
});
