import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { matchedVoxelAgreement } from '../../lib/metrics';
import { PIPELINE_STAGES, type PipelineStage, segmentCells } from '../../lib/segmentation/pipeline';
import { generateNuclei } from '../../lib/synth';
import type { Vec3, Volume } from '../../lib/volume';
import { testContext } from '../test-setup';
import { segmentCellsGpu, thresholdMaskGpu } from './pipeline';

function sameIds(a: Uint32Array, b: Uint32Array): number {
  let agree = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    if (!a[i] && !b[i]) continue;
    n++;
    if (a[i] === b[i]) agree++;
  }
  return agree / n;
}

describe('segmentCellsGpu', () => {
  it('matches segmentCells on a 64³ synthetic touching-nuclei volume (count, ≥ 99.5 % voxels, ids, stats)', async () => {
    const ctx = await testContext();
    const g = generateNuclei({ shape: [64, 64, 64], seed: 4 });
    const copy = g.image.data.slice();
    const calls: [PipelineStage, number][] = [];
    await segmentCellsGpu(ctx, g.image); // warm: pipelines compiled, pool filled (timings below are warm)
    let t = performance.now();
    const gpu = await segmentCellsGpu(ctx, g.image, {}, (s, f) => calls.push([s, f]));
    const gpuMs = performance.now() - t;
    t = performance.now();
    const cpu = segmentCells(g.image);
    const cpuMs = performance.now() - t;
    const agreement = matchedVoxelAgreement(gpu.labels.data, cpu.labels.data);
    console.log(
      `[pipeline 64³] ${gpu.device.adapter}: GPU ${gpuMs.toFixed(0)} ms, CPU twin ${cpuMs.toFixed(0)} ms; ${gpu.instances.length} instances (CPU ${cpu.instances.length}), agreement ${(100 * agreement).toFixed(3)} %, ` +
        `same ids ${(100 * sameIds(gpu.labels.data, cpu.labels.data)).toFixed(3)} %\n  GPU ms ${JSON.stringify(gpu.timings, (_, x) => (typeof x === 'number' ? Math.round(x) : x))}\n  CPU ms ${JSON.stringify(cpu.timings, (_, x) => (typeof x === 'number' ? Math.round(x) : x))}`,
    );
    expect(gpu.device).toEqual({ kind: 'webgpu', adapter: ctx.adapterInfo.name });
    expect(gpu.params).toEqual(cpu.params);
    // Otsu runs on the GPU-smoothed volume (f32 sums): the bin edges may move by ~1e-7 relative.
    expect(Math.abs(gpu.threshold - cpu.threshold) / cpu.threshold).toBeLessThan(1e-5);
    expect(gpu.seedCount).toBe(cpu.seedCount);
    expect(gpu.instances.length).toBe(cpu.instances.length);
    expect(gpu.instances.length).toBeGreaterThan(3);
    expect(agreement).toBeGreaterThanOrEqual(0.995);
    // Relabelled in the twin's order: ids match directly.
    expect(sameIds(gpu.labels.data, cpu.labels.data)).toBeGreaterThanOrEqual(0.995);
    for (const [k, inst] of gpu.instances.entries()) {
      expect(inst.labelId).toBe(k + 1);
      expect(Math.abs(inst.voxels - cpu.instances[k].voxels) / cpu.instances[k].voxels).toBeLessThan(0.05);
    }
    expect(calls.map((c) => c[0])).toEqual([...PIPELINE_STAGES, 'stats']);
    expect(calls.at(-1)).toEqual(['stats', 1]);
    for (const s of PIPELINE_STAGES) expect(gpu.timings[s]).toBeGreaterThan(0);
    expect(gpu.labels.shape).toEqual(g.image.shape);
    expect(g.image.data).toEqual(copy);
  });

  it('gives the same result through the slab paths (artificial binding limit)', async () => {
    const base = await testContext();
    const g = generateNuclei({ shape: [40, 40, 24], seed: 7, count: 10 });
    const params = { minDistance: 2.5, minVoxels: 20 };
    const cpu = segmentCells(g.image, params);
    // 12 planes of 40×40 f32 per binding: every stage tiles (gaussian halos, edt lines, seeds and
    // watershed halo slabs — 6 planes of its 8-byte frontier lists —, stats/relabel z-slabs,
    // threshold chunks).
    const tiny = base.withLimits({ maxStorageBufferBindingSize: 40 * 40 * 4 * 12 });
    const gpu = await segmentCellsGpu(tiny, g.image, params);
    const agreement = matchedVoxelAgreement(gpu.labels.data, cpu.labels.data);
    console.log(`[pipeline slabs 40×40×24] ${gpu.instances.length} instances (CPU ${cpu.instances.length}), agreement ${(100 * agreement).toFixed(3)} %`);
    expect(gpu.seedCount).toBe(cpu.seedCount);
    expect(gpu.instances.length).toBe(cpu.instances.length);
    expect(agreement).toBeGreaterThanOrEqual(0.995);
  });

  it('thresholds like the twin (f32 data vs an f64 threshold) and validates parameters', async () => {
    const ctx = await testContext();
    const data = Float32Array.from([0.1, 0.2, 0.30000001, 0.3, 5, -1, 0.3000001]);
    const t = 0.3;
    expect(Array.from(await thresholdMaskGpu(ctx, data, t))).toEqual(Array.from(data, (x) => (x > t ? 1 : 0)));
    const u16 = Uint16Array.from([1, 400, 350, 351, 0]);
    expect(Array.from(await thresholdMaskGpu(ctx, u16, 350))).toEqual([0, 1, 0, 1, 0]);
    const image: Volume = { data: new Uint16Array(64), shape: [4, 4, 4] as Vec3, spacing: [1, 1, 1] as Vec3 };
    await expect(segmentCellsGpu(ctx, image, { smoothSigma: -1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(segmentCellsGpu(ctx, image, { minDistance: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('agrees with the scipy/skimage peer on the pipeline golden (3 parameter sets)', async () => {
    const ctx = await testContext();
    const golden = JSON.parse(readFileSync(new URL('../../tests/goldens/pipeline/pipeline.json', import.meta.url), 'utf8')) as {
      shape: Vec3;
      spacing: Vec3;
      image_u16_b64: string;
      cases: { smooth: number; minDistanceVoxels: Vec3; minVoxels: number; threshold: number; seeds: number; labels_u16_b64: string }[];
    };
    const u16 = (b64: string) => {
      const b = Buffer.from(b64, 'base64');
      return new Uint16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    };
    const image: Volume = { data: u16(golden.image_u16_b64), shape: golden.shape, spacing: golden.spacing };
    for (const c of golden.cases) {
      const r = await segmentCellsGpu(ctx, image, { smoothSigma: c.smooth, minDistance: c.minDistanceVoxels[0] * golden.spacing[0], minVoxels: c.minVoxels });
      const want = Uint32Array.from(u16(c.labels_u16_b64));
      expect(Math.abs(r.threshold - c.threshold) / c.threshold).toBeLessThan(1e-5);
      expect(r.seedCount).toBe(c.seeds);
      expect(r.instances.length).toBe(new Set(want).size - 1);
      const agreement = matchedVoxelAgreement(r.labels.data, want);
      console.log(`[pipeline golden smooth ${c.smooth}] agreement ${(100 * agreement).toFixed(3)} %`);
      expect(agreement).toBeGreaterThanOrEqual(0.995);
    }
  });
});
