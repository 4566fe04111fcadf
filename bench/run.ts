/**
 * `npm run bench` — the classical pipeline, stage by stage, TS (CPU, in-process) next to the
 * scipy/skimage peer (bench/peer/classical_pipeline.py, spawned on the same input in the same run).
 *
 * For each size (default 128³ and 256³ synthetic nuclei, seed 1): generate the volume, write it as
 * a headerless x-fastest uint16 file to a temp folder (the peer reads it with numpy), time `segmentCells` (I/O excluded) and the peer's stages (I/O excluded,
 * same smoothing and per-axis min distance). Prints a markdown table with ratios TS/peer and the
 * versions, and writes it to bench/results/latest.md.
 *
 * Unless `--no-gpu`: the same volume through `segmentCellsGpu` (gpu-kernels/pipeline) on the adapter
 * present (Dawn; the adapter name and limits are printed — on a machine without a GPU that is Mesa
 * lavapipe, a software driver sharing the CPU cores), stage by stage next to the CPU twin and the
 * peer of the same run, as ratios GPU / CPU twin and GPU / peer, plus the instance count and voxel
 * agreement of GPU vs twin (bench/gpu-stages.ts). Pipelines are compiled on a 48³ warm-up first.
 *
 * Options: --sizes 128,256  --repeat 2 (runs per size of each side; the fastest total of each is reported)
 *          --gpu-repeat N (GPU runs per size; default 1: a software GPU takes minutes at 256³)  --no-gpu  --no-peer
 *          --pointnet (also spawn bench/pointnet.ts and append its table; off by default, ~minutes)
 *          --python /usr/bin/python3  --out bench/results/latest.md
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PIPELINE_STAGES, segmentCells, type SegmentResult } from '../lib/segmentation/pipeline';
import { generateNuclei } from '../lib/synth';
import { instanceAP } from '../lib/metrics';
import type { GpuSegmentResult } from '../gpu-kernels/pipeline/pipeline';
import type { GpuBench } from './gpu-stages';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '128,256' },
    repeat: { type: 'string', default: '2' },
    python: { type: 'string', default: '/usr/bin/python3' },
    'gpu-repeat': { type: 'string' },
    'no-gpu': { type: 'boolean', default: false },
    'no-peer': { type: 'boolean', default: false },
    pointnet: { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench/results/latest.md' },
  },
});
const sizes = String(values.sizes).split(',').map(Number);
const repeat = Math.max(1, Number(values.repeat));
const gpuRepeat = Math.max(1, Number(values['gpu-repeat'] ?? 1));
const useGpu = !values['no-gpu'];
const usePeer = !values['no-peer'];
const root = new URL('../', import.meta.url).pathname;
const params = { smoothSigma: 0.5, minDistance: 3, minVoxels: 50 };

interface PeerResult { timingsMs: Record<string, number>; totalMs: number; versions: Record<string, string>; instances: number; minDistanceVoxels: number[] }

const fmt = (ms: number | undefined) => (ms === undefined ? '–' : ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));
const lines: string[] = [];
let versions: Record<string, string> = {};
const tmp = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b ? (a / b).toFixed(2) : '–');
let gpu: GpuBench | null = null;
let gpuNote = useGpu ? '' : 'GPU: not run (--no-gpu).';
if (useGpu) {
  try {
    const { openGpuBench } = await import('./gpu-stages');
    gpu = await openGpuBench(params);
    gpuNote = `GPU: ${gpu.describe}.`;
    console.error(`GPU: ${gpu.adapter}`);
  } catch (e) {
    gpuNote = `GPU: unavailable (${(e as Error).message.split('\n')[0]}).`;
    console.error(gpuNote);
  }
}
try {
  for (const n of sizes) {
    const t0 = performance.now();
    const g = generateNuclei({ shape: [n, n, n], seed: 1 });
    const genMs = performance.now() - t0;
    // the peer reads the same voxels as a headerless x-fastest raw file (no nibabel needed)
    const raw = join(tmp, `nuclei-${n}.u16`);
    writeFileSync(raw, new Uint8Array(g.image.data.buffer, g.image.data.byteOffset, g.image.data.byteLength));
    const rawArgs = ['--raw-shape', g.image.shape.join(','), '--raw-dtype', '<u2', '--spacing', g.image.spacing.join(',')];
    let best: SegmentResult | null = null;
    let bestTotal = Infinity;
    for (let r = 0; r < repeat; r++) {
      const res = segmentCells(g.image, params);
      const total = Object.values(res.timings).reduce((a, b) => a + b, 0);
      if (total < bestTotal) {
        bestTotal = total;
        best = res;
      }
    }
    const ours = best!;
    const ap = instanceAP(ours.labels.data, g.labels.data);
    let gpuRes: GpuSegmentResult | null = null;
    let gpuTotal = Infinity;
    if (gpu) {
      const { timeGpu } = await import('./gpu-stages');
      ({ best: gpuRes, bestTotal: gpuTotal } = await timeGpu(gpu, g.image, params, gpuRepeat));
    }
    let peer: PeerResult | null = null;
    for (let r = 0; usePeer && r < repeat; r++) {
      const peerJson = join(tmp, `peer-${n}-${r}.json`);
      const pr = spawnSync(
        String(values.python),
        [join(root, 'bench/peer/classical_pipeline.py'), raw, ...rawArgs, '--json', peerJson, '--smooth', String(params.smoothSigma),
          '--min-distance-voxels', ours.params.minDistanceVoxels.join(','), '--min-size', String(params.minVoxels)],
        { encoding: 'utf8' },
      );
      if (pr.status !== 0) {
        console.error(`peer failed (exit ${pr.status}): ${(pr.stderr || String(pr.error)).trim()}`);
        break;
      }
      const p = JSON.parse(readFileSync(peerJson, 'utf8')) as PeerResult;
      versions = p.versions;
      if (!peer || p.totalMs < peer.totalMs) peer = p;
    }
    lines.push(
      `### ${n}³ (${g.nuclei.length} nuclei, spacing ${g.image.spacing.join('×')}, min distance ${ours.params.minDistanceVoxels.join('×')} voxels; generated in ${fmt(genMs)} ms)`,
      '',
      '| stage | TS CPU (ms) | scipy/skimage (ms) | TS / peer |',
      '|---|---:|---:|---:|',
    );
    for (const s of PIPELINE_STAGES) {
      const a = ours.timings[s];
      const b = peer?.timingsMs[s];
      lines.push(`| ${s} | ${fmt(a)} | ${fmt(b)} | ${b ? (a / b).toFixed(2) : '–'} |`);
    }
    const pt = peer?.totalMs;
    lines.push(
      `| **whole pipeline** | **${fmt(bestTotal)}** | **${fmt(pt)}** | **${pt ? (bestTotal / pt).toFixed(2) : '–'}** |`,
      '',
      `Instances: TS ${ours.instances.length}, peer ${peer?.instances ?? '–'}; TS AP@0.5 ${ap.ap50.toFixed(3)}, AP@0.75 ${ap.ap75.toFixed(3)}.`,
      '',
    );
    if (gpuRes) {
      const { agreementLine } = await import('./gpu-stages');
      const gap = instanceAP(gpuRes.labels.data, g.labels.data);
      lines.push(
        `GPU stages (\`segmentCellsGpu\`, ${gpuRes.device.adapter}; best of ${gpuRepeat}, warm, host↔device transfers included):`,
        '',
        '| stage | GPU (ms) | TS CPU (ms) | scipy/skimage (ms) | GPU / CPU twin | GPU / peer |',
        '|---|---:|---:|---:|---:|---:|',
      );
      for (const s of PIPELINE_STAGES) {
        const a = gpuRes.timings[s];
        lines.push(`| ${s} | ${fmt(a)} | ${fmt(ours.timings[s])} | ${fmt(peer?.timingsMs[s])} | ${ratio(a, ours.timings[s])} | ${ratio(a, peer?.timingsMs[s])} |`);
      }
      lines.push(
        `| **whole pipeline** | **${fmt(gpuTotal)}** | **${fmt(bestTotal)}** | **${fmt(pt)}** | **${ratio(gpuTotal, bestTotal)}** | **${ratio(gpuTotal, pt)}** |`,
        '',
        `${agreementLine(gpuRes, ours)} GPU AP@0.5 ${gap.ap50.toFixed(3)}, AP@0.75 ${gap.ap75.toFixed(3)}.`,
        '',
      );
    } else if (useGpu) {
      lines.push('GPU stages: not run (no adapter).', '');
    }
    console.error(`done ${n}³`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
  gpu?.ctx.destroy();
}
if (values.pointnet) {
  console.error('PointNet++ bench (bench/pointnet.ts) …');
  const pr = spawnSync(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), join(root, 'bench/pointnet.ts'), ...(useGpu ? [] : ['--no-gpu'])], {
    encoding: 'utf8',
    cwd: root,
  });
  lines.push('## PointNet++ building blocks (bench/pointnet.ts)', '');
  lines.push(pr.status === 0 ? pr.stdout.trim() : `failed (exit ${pr.status}): ${(pr.stderr || String(pr.error)).trim().split('\n').slice(-3).join(' ')}`, '');
} else {
  lines.push('PointNet++ building blocks: separate command, `npx tsx bench/pointnet.ts` (or `npm run bench -- --pointnet` to append it here).', '');
}
const header = [
  `# Classical pipeline benchmark (${useGpu ? 'CPU and GPU' : 'CPU'})`,
  '',
  `${new Date().toISOString()} — node ${process.versions.node}; python ${versions.python ?? '?'}, numpy ${versions.numpy ?? '?'}, scipy ${versions.scipy ?? '?'}, scikit-image ${versions.skimage ?? '?'}; ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}.`,
  `Parameters: smooth ${params.smoothSigma}, min distance ${params.minDistance} (physical), min size ${params.minVoxels} voxels; best of ${repeat} runs each; both single-threaded, I/O excluded.${usePeer ? '' : ' Peer not run (--no-peer).'}`,
  gpuNote,
  '',
];
const md = [...header, ...lines].join('\n');
console.log(md);
const outPath = resolve(root, String(values.out));
mkdirSync(dirname(outPath), { recursive: true });
writeFileSync(outPath, md + '\n');
