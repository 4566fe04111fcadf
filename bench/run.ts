/**
 * `npm run bench` — the classical pipeline, stage by stage, TS (CPU, in-process) next to the
 * scipy/skimage peer (bench/peer/classical_pipeline.py, spawned on the same input in the same run).
 *
 * For each size (default 128³ and 256³ synthetic nuclei, seed 1): generate the volume, write it as
 * NIfTI to a temp folder, time `segmentCells` (I/O excluded) and the peer's stages (I/O excluded,
 * same smoothing and per-axis min distance). Prints a markdown table with ratios TS/peer and the
 * versions, and writes it to bench/results/latest.md.
 *
 * Options: --sizes 128,256  --repeat 2 (runs per size of each side; the fastest total of each is reported)
 *          --python /usr/bin/python3
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeNifti } from '../lib/formats/nifti';
import { PIPELINE_STAGES, segmentCells, type SegmentResult } from '../lib/segmentation/pipeline';
import { generateNuclei } from '../lib/synth';
import { instanceAP } from '../lib/metrics';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '128,256' },
    repeat: { type: 'string', default: '2' },
    python: { type: 'string', default: '/usr/bin/python3' },
  },
});
const sizes = String(values.sizes).split(',').map(Number);
const repeat = Math.max(1, Number(values.repeat));
const root = new URL('../', import.meta.url).pathname;
const params = { smoothSigma: 0.5, minDistance: 3, minVoxels: 50 };

interface PeerResult { timingsMs: Record<string, number>; totalMs: number; versions: Record<string, string>; instances: number; minDistanceVoxels: number[] }

const fmt = (ms: number | undefined) => (ms === undefined ? '–' : ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));
const lines: string[] = [];
let versions: Record<string, string> = {};
const tmp = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
try {
  for (const n of sizes) {
    const t0 = performance.now();
    const g = generateNuclei({ shape: [n, n, n], seed: 1 });
    const genMs = performance.now() - t0;
    const input = join(tmp, `nuclei-${n}.nii`);
    writeFileSync(input, writeNifti({ volume: g.image }));
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
    let peer: PeerResult | null = null;
    for (let r = 0; r < repeat; r++) {
      const peerJson = join(tmp, `peer-${n}-${r}.json`);
      const pr = spawnSync(
        String(values.python),
        [join(root, 'bench/peer/classical_pipeline.py'), input, '--json', peerJson, '--smooth', String(params.smoothSigma),
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
    console.error(`done ${n}³`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
const header = [
  '# Classical pipeline benchmark (CPU)',
  '',
  `${new Date().toISOString()} — node ${process.versions.node}; python ${versions.python ?? '?'}, numpy ${versions.numpy ?? '?'}, scipy ${versions.scipy ?? '?'}, scikit-image ${versions.skimage ?? '?'}; ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}.`,
  `Parameters: smooth ${params.smoothSigma}, min distance ${params.minDistance} (physical), min size ${params.minVoxels} voxels; best of ${repeat} runs each; both single-threaded, I/O excluded.`,
  '',
];
const md = [...header, ...lines].join('\n');
console.log(md);
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/latest.md'), md + '\n');
