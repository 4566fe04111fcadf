/**
 * GPU half of `npm run bench`: `segmentCellsGpu` (gpu-kernels/pipeline) stage by stage on the
 * adapter present (Dawn in Node; on a machine without a GPU that is Mesa lavapipe, a software
 * Vulkan driver on the same CPU cores — correctness, not speed), plus how far its result agrees
 * with the CPU twin's.
 *
 * Loaded lazily by bench/run.ts (so `--no-gpu` never starts Dawn).
 */
import type { ClassicalParams, PipelineStage, SegmentResult } from '../lib/segmentation/pipeline';
import { generateNuclei } from '../lib/synth';
import type { Volume } from '../lib/volume';
import { chooseIcd } from '../gpu-kernels/test-setup';
import type { GpuContext } from '../gpu-kernels/runtime/device';
import type { GpuSegmentResult } from '../gpu-kernels/pipeline/pipeline';

export interface GpuBench {
  ctx: GpuContext;
  adapter: string;
  /** One line: ICD, adapter description and the limits the kernels tile by. */
  describe: string;
  segment: (v: Volume, params: ClassicalParams) => Promise<GpuSegmentResult>;
}

const MiB = 1024 * 1024;

/** Starts Dawn (Vulkan ICD chosen as everywhere else), acquires a device and compiles every pipeline on a small warm-up volume. */
export async function openGpuBench(params: ClassicalParams): Promise<GpuBench> {
  const icd = chooseIcd();
  const { acquireNodeDevice } = await import('../gpu-kernels/runtime/node-gpu');
  const { segmentCellsGpu } = await import('../gpu-kernels/pipeline/pipeline');
  const ctx = await acquireNodeDevice({ label: 'tessera-bench' });
  const l = ctx.limits;
  const describe =
    `adapter **${ctx.adapterInfo.name}** (vendor ${ctx.adapterInfo.vendor || '?'}, architecture ${ctx.adapterInfo.architecture || '?'}; ICD ${icd ?? 'loader default'}); ` +
    `limits: maxStorageBufferBindingSize ${(l.maxStorageBufferBindingSize / MiB).toFixed(0)} MiB, maxBufferSize ${(l.maxBufferSize / MiB).toFixed(0)} MiB, ` +
    `maxComputeInvocationsPerWorkgroup ${l.maxComputeInvocationsPerWorkgroup}, maxComputeWorkgroupSizeX ${l.maxComputeWorkgroupSizeX}, ` +
    `maxComputeWorkgroupsPerDimension ${l.maxComputeWorkgroupsPerDimension}, maxComputeWorkgroupStorageSize ${l.maxComputeWorkgroupStorageSize} B`;
  // Warm-up: compile every stage's pipelines and fill the buffer pool (not timed).
  const warm = generateNuclei({ shape: [48, 48, 48], seed: 2 });
  await segmentCellsGpu(ctx, warm.image, params);
  return { ctx, adapter: ctx.adapterInfo.name, describe, segment: (v, p) => segmentCellsGpu(ctx, v, p) };
}

export interface Agreement {
  /** Voxels (foreground in either) whose GPU label, mapped to the CPU label it overlaps most, equals the CPU label. */
  matched: number;
  /** Voxels (foreground in either) with the same label id in both. */
  sameIds: number;
}

/** Agreement of two label volumes (see `Agreement`); same measure as gpu-kernels/pipeline/pipeline.test.ts. */
export function labelAgreement(a: Uint32Array, b: Uint32Array): Agreement {
  const overlap = new Map<number, Map<number, number>>();
  for (let i = 0; i < a.length; i++) {
    if (!a[i]) continue;
    let m = overlap.get(a[i]);
    if (!m) overlap.set(a[i], (m = new Map()));
    m.set(b[i], (m.get(b[i]) ?? 0) + 1);
  }
  const map = new Map<number, number>();
  for (const [la, m] of overlap) {
    let bestL = 0, bestN = -1;
    for (const [lb, c] of m) if (c > bestN) (bestN = c), (bestL = lb);
    map.set(la, bestL);
  }
  let matched = 0, same = 0, n = 0;
  for (let i = 0; i < a.length; i++) {
    if (!a[i] && !b[i]) continue;
    n++;
    if ((a[i] ? map.get(a[i]) : 0) === b[i]) matched++;
    if (a[i] === b[i]) same++;
  }
  return { matched: n ? matched / n : 1, sameIds: n ? same / n : 1 };
}

const total = (t: Record<PipelineStage, number>): number => Object.values(t).reduce((x, y) => x + y, 0);

/** Best-of-`repeat` GPU runs (by total of the stage times). */
export async function timeGpu(bench: GpuBench, v: Volume, params: ClassicalParams, repeat: number): Promise<{ best: GpuSegmentResult; bestTotal: number }> {
  let best: GpuSegmentResult | null = null;
  let bestTotal = Infinity;
  for (let r = 0; r < repeat; r++) {
    const res = await bench.segment(v, params);
    const t = total(res.timings);
    if (t < bestTotal) (bestTotal = t), (best = res);
  }
  return { best: best!, bestTotal };
}

/** One-line summary of GPU vs CPU twin results. */
export function agreementLine(gpu: GpuSegmentResult, cpu: SegmentResult): string {
  const a = labelAgreement(gpu.labels.data, cpu.labels.data);
  const dt = Math.abs(gpu.threshold - cpu.threshold) / Math.abs(cpu.threshold || 1);
  return (
    `GPU vs CPU twin: instances ${gpu.instances.length} vs ${cpu.instances.length}` +
    `${gpu.instances.length === cpu.instances.length ? ' (equal)' : ' (**differ**)'}, seeds ${gpu.seedCount} vs ${cpu.seedCount}, ` +
    `Otsu threshold Δ ${dt.toExponential(1)} relative; voxel agreement ${(100 * a.matched).toFixed(3)} % (matched labels), ${(100 * a.sameIds).toFixed(3)} % same ids.`
  );
}
