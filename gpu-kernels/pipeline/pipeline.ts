/// <reference types="@webgpu/types" />
/**
 * The classical nuclei/cell pipeline on the GPU — `segmentCells` of
 * `lib/segmentation/pipeline.ts` with every stage on the device:
 *
 *   smooth     gaussianSmoothGpu                     (skipped when smoothSigma = 0)
 *   threshold  Otsu on the HOST (`otsuThreshold`: numpy-histogram semantics need exact float64
 *              bin edges; one O(N) pass), then `mask = smoothed > t` on the GPU (f64 and 32-bit
 *              integer data are compared on the host, since f32 would round them)
 *   edt        edtGpu
 *   seeds      findSeedsGpu                          (equal to findSeeds)
 *   watershed  watershedGpu(−dist, markers, mask)    (≥ 99.5 % of voxels equal to the twin)
 *   relabel    removeSmallAndRelabelGpu              (1..N in first-appearance order, as the twin)
 *   stats      instanceStatsGpu
 *
 * Same parameters, resolution, progress callbacks and result as the twin, plus `device`. Each
 * kernel takes and returns host arrays (volumes over one storage binding are tiled inside the
 * kernels), so intermediates round-trip through host memory between stages.
 */
import { ArgumentError } from '../../lib/errors';
import { otsuThreshold } from '../../lib/segmentation/otsu';
import {
  type ClassicalParams,
  PIPELINE_STAGES,
  type PipelineStage,
  type ProgressCallback,
  resolveClassicalParams,
  type SegmentResult,
} from '../../lib/segmentation/pipeline';
import { seedsToMarkers } from '../../lib/segmentation/seeds';
import { type LabelVolume, type Vec3, type Volume, validateVolume } from '../../lib/volume';
import { edtGpu } from '../edt/edt';
import { gaussianSmoothGpu } from '../gaussian/gaussian';
import type { GpuContext } from '../runtime/device';
import { f32Above, findSeedsGpu } from '../seeds/seeds';
import { instanceStatsGpu, removeSmallAndRelabelGpu } from '../stats/stats';
import { watershedGpu } from '../watershed/watershed';
import { thresholdUniform, thresholdWgsl } from './threshold.wgsl';

export interface GpuSegmentResult extends SegmentResult {
  /** Where it ran: WebGPU and the adapter's name. */
  device: { kind: 'webgpu'; adapter: string };
}

/**
 * `mask = data > t` on the GPU in chunks that fit a binding (f32, u8/i8, u16/i16 data; f64 and
 * 32-bit integer data are compared on the host, where f32 could round them).
 */
export async function thresholdMaskGpu(ctx: GpuContext, data: ArrayLike<number>, t: number): Promise<Uint8Array> {
  const n = data.length;
  // f32 holds every value of these types exactly; others (f64, 32-bit integers) compare on the host.
  const exact = data instanceof Float32Array || data instanceof Uint8Array || data instanceof Int8Array || data instanceof Uint16Array || data instanceof Int16Array;
  if (!exact) {
    const m = new Uint8Array(n);
    for (let i = 0; i < n; i++) m[i] = data[i] > t ? 1 : 0;
    return m;
  }
  const src = data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
  const wg = ctx.workgroupSize1D(256);
  const pipe = await ctx.pipeline({ code: thresholdWgsl(wg), label: 'pipeline.threshold' });
  const out = new Uint8Array(Math.ceil(n / 4) * 4);
  const chunk = Math.max(4, Math.floor(ctx.maxBindingElements(4) / 4) * 4);
  const tge = f32Above(t);
  for (let o = 0; o < n; o += chunk) {
    const m = Math.min(chunk, n - o);
    const words = Math.ceil(m / 4);
    const s = ctx.upload(src.subarray(o, o + m), 'threshold.src');
    const d = ctx.storage(words * 4, 'threshold.dst');
    const u = ctx.uniform(thresholdUniform(m, tge), 'threshold.params');
    try {
      const bindGroup = ctx.bindGroup(pipe, [{ buffer: s, size: m * 4 }, { buffer: d, size: words * 4 }, u]);
      await ctx.run('pipeline.threshold', [{ pipeline: pipe, bindGroup, workgroups: ctx.grid(words, wg) }]);
      out.set(new Uint8Array(await ctx.read(d, 0, words * 4, 'threshold.read')), o);
    } finally {
      ctx.release(s, d, u);
    }
  }
  return out.subarray(0, n);
}

/**
 * Segment nuclei/cells on the GPU. Same parameters, progress calls and result as
 * `segmentCells` (labels 1..N in first-appearance order, stats per instance, per-stage wall
 * times in ms), plus the adapter used. `v` is not mutated.
 */
export async function segmentCellsGpu(
  ctx: GpuContext,
  v: Volume,
  params: ClassicalParams = {},
  onProgress?: ProgressCallback,
): Promise<GpuSegmentResult> {
  const where = 'segmentCellsGpu';
  ctx.assertAlive(where);
  validateVolume(v, where);
  const p = resolveClassicalParams(v, params, where);
  const timings = Object.fromEntries(PIPELINE_STAGES.map((s) => [s, 0])) as Record<PipelineStage, number>;
  let done = 0;
  const run = async <T>(stage: PipelineStage, f: () => Promise<T>): Promise<T> => {
    onProgress?.(stage, done / PIPELINE_STAGES.length);
    const t0 = performance.now();
    const out = await f();
    timings[stage] = performance.now() - t0;
    done++;
    return out;
  };

  const smoothed: Volume = await run('smooth', async () => (p.smoothSigma > 0 ? gaussianSmoothGpu(ctx, v, p.smoothSigma) : v));
  const { threshold, mask } = await run('threshold', async () => {
    const t = p.threshold === 'otsu' ? otsuThreshold(smoothed) : p.threshold;
    return { threshold: t, mask: await thresholdMaskGpu(ctx, smoothed.data, t) };
  });
  const geometry = { shape: [...v.shape] as Vec3, spacing: [...v.spacing] as Vec3 };
  const dist = await run('edt', () => edtGpu(ctx, { data: mask, ...geometry }));
  const seeds = await run('seeds', () => findSeedsGpu(ctx, dist, mask, { minDistance: p.minDistanceVoxels, excludeBorder: p.excludeBorder }));
  const flooded = await run('watershed', () => {
    const markers = seedsToMarkers(seeds, geometry.shape);
    const neg = new Float32Array(dist.data.length);
    for (let i = 0; i < neg.length; i++) neg[i] = -dist.data[i];
    return watershedGpu(ctx, neg, markers, mask, geometry.shape, { connectivity: p.connectivity });
  });
  const relabelled = await run('relabel', () => removeSmallAndRelabelGpu(ctx, flooded, p.minVoxels, geometry.shape));
  const labels: LabelVolume = { data: relabelled.labels, ...geometry };
  if (v.affine) labels.affine = v.affine.map((row) => [...row]) as LabelVolume['affine'];
  if (v.units !== undefined) labels.units = v.units;
  const instances = await run('stats', () => instanceStatsGpu(ctx, labels));
  onProgress?.('stats', 1);
  return {
    labels,
    instances,
    timings,
    params: p,
    threshold,
    seedCount: seeds.length,
    device: { kind: 'webgpu', adapter: ctx.adapterInfo.name },
  };
}
