/**
 * The whole PointNet++ instance model (models/pointnet-scenes): CPU twins (lib/pointnet/model
 * `segmentPoints`) vs the WebGPU kernels on the adapter present (gpu-kernels/pointnet/model
 * `segmentPointsGpu`) on held-out generated tabletop scenes of 16k and 100k points (and the real
 * PCL scan, 307k points / 241k valid, with --real). Times: best of `reps` wall ms, per stage
 * (prepare = plane fit + height band + FPS to the model input; network; cluster; propagate = 3-NN of
 * every band point + labels); GPU after one warm-up call. Agreement = matched same-instance
 * fraction, both ways (lib/metrics matchedVoxelAgreement). On a software adapter (lavapipe /
 * SwiftShader) GPU times are correctness runs, not speed claims.
 *
 *   npx tsx bench/pointnet-model.ts [--reps=3] [--gpu-reps=2] [--no-gpu] [--real]
 */
import { readFileSync } from 'node:fs';
import { loadPointNetModel } from '../gpu-kernels/pointnet/model/load';
import { readPointCloud } from '../lib/formats/pointcloud';
import type { PointCloud } from '../lib/formats/pointcloud/types';
import { matchedVoxelAgreement } from '../lib/metrics';
import { segmentPoints, type PointSegmentation } from '../lib/pointnet/model';
import { VALIDATION_SEED_START, generateScene } from '../lib/synth/scenes';

const args = process.argv.slice(2);
const reps = Number(args.find((a) => a.startsWith('--reps='))?.slice(7) ?? 3);
const gpuReps = Number(args.find((a) => a.startsWith('--gpu-reps='))?.slice(11) ?? 2);
const noGpu = args.includes('--no-gpu');
const withReal = args.includes('--real');

const dir = new URL('../models/pointnet-scenes/', import.meta.url);
const card = JSON.parse(readFileSync(new URL('card.json', dir), 'utf8'));
const model = loadPointNetModel(card, new Uint8Array(readFileSync(new URL(card.weights, dir))));

const clouds: { name: string; cloud: PointCloud }[] = [
  { name: 'scene 16k', cloud: generateScene({ seed: VALIDATION_SEED_START + 900, kind: 'tabletop', points: 16_000 }).cloud },
  { name: 'scene 100k', cloud: generateScene({ seed: VALIDATION_SEED_START + 901, kind: 'tabletop', points: 100_000 }).cloud },
];
if (withReal) {
  const f = new URL('../../shared/data/pointclouds/pcl/milk_cartoon_all_small_clorox.pcd', import.meta.url);
  clouds.push({ name: 'PCL milk_cartoon (307k)', cloud: readPointCloud(new Uint8Array(readFileSync(f)), 'milk_cartoon_all_small_clorox.pcd') });
}

async function best(n: number, f: () => Promise<PointSegmentation> | PointSegmentation): Promise<{ ms: number; res: PointSegmentation }> {
  let bestMs = Infinity, res: PointSegmentation | null = null;
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    res = await f();
    bestMs = Math.min(bestMs, performance.now() - t);
  }
  return { ms: bestMs, res: res! };
}

type Ctx = Awaited<ReturnType<typeof import('../gpu-kernels/runtime/node-gpu')['acquireNodeDevice']>>;
let ctx: Ctx | null = null;
let adapter = 'none';
if (!noGpu) {
  try {
    const { ensureVulkanIcd } = await import('../gpu-kernels/runtime/vulkan-icd');
    ensureVulkanIcd();
    const { acquireNodeDevice } = await import('../gpu-kernels/runtime/node-gpu');
    ctx = await acquireNodeDevice({ label: 'bench-pointnet-model' });
    adapter = ctx.adapterInfo.name;
  } catch (e) {
    adapter = `none (${e instanceof Error ? e.message : String(e)})`;
  }
}
const { segmentPointsGpu } = await import('../gpu-kernels/pointnet/model/segment-gpu');

const f = (ms: number | undefined) => (ms === undefined ? '—' : ms < 10 ? ms.toFixed(2) : ms.toFixed(0));
const stages = (r: PointSegmentation) => ['prepare', 'network', 'cluster', 'propagate'].map((k) => f(r.timings[k])).join(' / ');
const rows: string[] = [];
for (const { name, cloud } of clouds) {
  const cpu = await best(reps, () => segmentPoints(cloud, model));
  let gpuCell = '—', gpuStages = '—', ratio = '—', agree = '—';
  if (ctx) {
    const c = ctx;
    await segmentPointsGpu(c, cloud, model); // warm-up (pipelines)
    const gpu = await best(gpuReps, () => segmentPointsGpu(c, cloud, model));
    gpuCell = f(gpu.ms);
    gpuStages = stages(gpu.res);
    ratio = `${(cpu.ms / gpu.ms).toFixed(2)}×`;
    agree = `${(100 * Math.min(matchedVoxelAgreement(cpu.res.instance, gpu.res.instance), matchedVoxelAgreement(gpu.res.instance, cpu.res.instance))).toFixed(2)} %`;
  }
  rows.push(`| ${name} | ${cloud.count} | ${cpu.res.sampled.count} | ${cpu.res.instances.length} | ${f(cpu.ms)} | ${stages(cpu.res)} | ${gpuCell} | ${gpuStages} | ${ratio} | ${agree} |`);
}
console.log(`\nPointNet++ instance model (${model.card.name}) — node ${process.version}; adapter: ${adapter}; reps ${reps} (GPU ${gpuReps})`);
console.log('Times: best wall ms; stages = prepare / network / cluster / propagate.\n');
console.log('| cloud | points | model input | instances | CPU twin | CPU stages | GPU | GPU stages | CPU / GPU | same instance |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) console.log(r);
process.exit(0);
