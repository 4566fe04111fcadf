/**
 * `npm run conformance` — full-size MeshNet conformance of the WebGPU engine (gpu-kernels/onnx) on
 * Dawn, against the shared references:
 *
 *  1. GWM (`models/meshnet_gwm_niivue/model.onnx`) on `volumes/brainchop_t1_crop.nii.gz` at its full
 *     256³: the argmax must equal `reference_output_t1_crop_gwm.nii.gz` (made with onnxruntime-node
 *     1.30; see ../shared/data/README.md) on ≥ 99.9 % of voxels. With `--size` below 256 (a centre
 *     crop, less context than the reference saw) it is compared with onnxruntime-node on the crop.
 *  2. model18cls (`models/meshnet_onnx_exports/model18cls.onnx`, tensor in (x,y,z) C-order) on the
 *     same volume at 256³: the argmax must equal onnxruntime-node's (CPU EP, computed in this run, or
 *     read from `--ort-cache` where an earlier run stored it) on ≥ 99.9 % of voxels.
 *
 * Both run with the storage-binding limit capped at `--binding-mib` (default 128: what a browser
 * tab gets by default), so 256³ activations (5 × 64 MiB for GWM, 21 × 64 MiB for model18cls) go
 * through the engine's per-layer tiling. An ArgMax node is appended to each model so the run reads
 * back labels, not logits (the engine's ArgMax: ties to the lowest channel, as the references).
 * Each model runs twice; the first includes pipeline compilation, the second is reported as warm.
 *
 * Options: --data ../shared/data  --binding-mib 128  --ort-cache <dir>  --ort-threads N  --precision f32|f16|both
 *          --only gwm|m18  --size 256 (centre crop edge; 256 = the whole volume)  --out <file.json>
 * Exit code 1 when an agreement is below 99.9 % (or no adapter exists).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync, gzipSync } from 'fflate';
import { readNifti } from '../lib/formats/nifti';
import { ensureVulkanIcd } from '../gpu-kernels/runtime/vulkan-icd';
import type { GpuContext } from '../gpu-kernels/runtime/device';
import { type RunStats, prepareModel, runModel } from '../gpu-kernels/onnx/executor';
import { agreement, appendArgmax, centreCrop, freeSpatialDims, minMaxTensor, reverseAxes, type Tensor } from '../gpu-kernels/onnx/meshnet-data';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: '../shared/data' },
    'binding-mib': { type: 'string', default: '128' },
    'ort-cache': { type: 'string' },
    'ort-threads': { type: 'string', default: String(Math.min(16, cpus().length)) },
    only: { type: 'string' },
    size: { type: 'string', default: '256' },
    out: { type: 'string' },
    precision: { type: 'string', default: 'f32' },
  },
});
let PRECISIONS = (values.precision === 'both' ? ['f32', 'f16'] : [String(values.precision)]) as ('f32' | 'f16')[];
const DATA = resolve(String(values.data));
const MiB = 1024 * 1024;
const REQUIRED = 0.999;

interface CaseResult {
  model: string;
  precision: string;
  input: string;
  reference: string;
  voxels: number;
  agreement: number;
  pass: boolean;
  coldMs: number;
  warmMs: number;
  tiles: number;
  halo: number[] | undefined;
  peakMiB: number;
  naiveMiB: number;
  delegated: number;
  gpuNodes: number;
  onnxNodes: number;
  ortMs?: number;
  ortThreads?: number;
}

async function engineRun(ctx: GpuContext, bytes: Uint8Array, x: Tensor, precision: 'f32' | 'f16'): Promise<{ labels: Int32Array; cold: RunStats; warm: RunStats }> {
  const model = prepareModel(appendArgmax(bytes));
  const input = model.graph.inputs[0].name;
  const cold: Partial<RunStats> = {};
  await runModel(ctx, model, { [input]: x }, { precision }, cold);
  const warm: Partial<RunStats> = {};
  const out = await runModel(ctx, model, { [input]: x }, { precision }, warm);
  return { labels: out[model.graph.outputs[0]].data as Int32Array, cold: cold as RunStats, warm: warm as RunStats };
}

async function ortLabels(bytes: Uint8Array, x: Tensor, threads: number): Promise<{ labels: Int32Array; ms: number }> {
  const ort = await import('onnxruntime-node');
  const s = await ort.InferenceSession.create(appendArgmax(freeSpatialDims(bytes)), { intraOpNumThreads: threads, interOpNumThreads: 1 });
  const t = performance.now();
  const r = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', x.data, x.dims) });
  const ms = performance.now() - t;
  const o = r[s.outputNames[0]].data as BigInt64Array;
  await s.release();
  return { labels: Int32Array.from(o, (v) => Number(v)), ms };
}

function result(model: string, input: string, reference: string, ours: { labels: Int32Array; cold: RunStats; warm: RunStats }, ref: ArrayLike<number>): CaseResult {
  const a = agreement(ours.labels, ref);
  const w = ours.warm;
  return {
    model, precision: w.precision ?? 'f32', input, reference, voxels: ours.labels.length, agreement: a, pass: a >= REQUIRED,
    coldMs: ours.cold.ms, warmMs: w.ms, tiles: w.tiles, halo: w.halo, peakMiB: w.peakBytes / MiB, naiveMiB: w.naiveBytes / MiB,
    delegated: w.delegated, gpuNodes: w.gpuNodes, onnxNodes: w.onnxNodes,
  };
}

async function main(): Promise<number> {
  const icd = ensureVulkanIcd();
  const { acquireNodeDevice } = await import('../gpu-kernels/runtime/node-gpu');
  const full = await acquireNodeDevice({ label: 'tessera-conformance' });
  const cap = Number(values['binding-mib']) * MiB;
  const ctx = full.withLimits({ maxStorageBufferBindingSize: Math.min(cap, full.limits.maxStorageBufferBindingSize) });
  if (values.precision === 'both' && !ctx.hasF16) {
    console.log(`f16: skipped — the adapter does not expose shader-f16 (${ctx.adapterInfo.name})`);
    PRECISIONS = ['f32'];
  }
  const size = Number(values.size);
  const threads = Number(values['ort-threads']);
  const t1Path = join(DATA, 'volumes/brainchop_t1_crop.nii.gz');
  const vol = readNifti(readFileSync(t1Path)).volume;
  let x = minMaxTensor(vol);
  if (size < Math.max(...vol.shape)) x = centreCrop(x, size);
  const grid = x.dims.slice(2).reverse().join('×');
  console.log(`adapter: ${ctx.adapterInfo.name} (ICD ${icd ?? 'loader default'}); binding limit ${ctx.limits.maxStorageBufferBindingSize / MiB} MiB (adapter ${full.limits.maxStorageBufferBindingSize / MiB} MiB); input ${grid}`);
  const results: CaseResult[] = [];

  if (!values.only || values.only === 'gwm') {
    const gwmPath = join(DATA, 'models/meshnet_gwm_niivue/model.onnx');
    const refPath = join(DATA, 'models/meshnet_gwm_niivue/reference_output_t1_crop_gwm.nii.gz');
    const bytes = readFileSync(gwmPath);
    let gwmOrt: { labels: Int32Array; ms: number } | null = null;
    for (const precision of PRECISIONS) {
    const ours = await engineRun(ctx, bytes, x, precision);
    if (size >= Math.max(...vol.shape)) {
      const ref = readNifti(readFileSync(refPath)).volume.data as Uint8Array;
      results.push(result('meshnet_gwm_niivue/model.onnx', `brainchop_t1_crop ${grid}`, 'reference_output_t1_crop_gwm.nii.gz (onnxruntime-node 1.30)', ours, ref));
    } else {
      // a crop sees less context than the full-volume reference (receptive field 93³): compare with onnxruntime on the same crop
      const o = (gwmOrt ??= await ortLabels(bytes, x, threads));
      const r = result('meshnet_gwm_niivue/model.onnx', `brainchop_t1_crop centre ${grid}`, `onnxruntime-node 1.30 CPU, ${threads} threads, this run`, ours, o.labels);
      r.ortMs = o.ms;
      r.ortThreads = threads;
      results.push(r);
    }
    console.log(JSON.stringify(results.at(-1)));
    }
  }
  if (!values.only || values.only === 'm18') {
    const m18Path = join(DATA, 'models/meshnet_onnx_exports/model18cls.onnx');
    const bytes = readFileSync(m18Path);
    const xyz = reverseAxes(x);
    const cacheFile = values['ort-cache'] ? join(String(values['ort-cache']), `m18-ort-${size}.u8.gz`) : null;
    let ref: Int32Array;
    let ortMs: number | undefined;
    if (cacheFile && existsSync(cacheFile)) {
      ref = Int32Array.from(gunzipSync(readFileSync(cacheFile)));
    } else {
      const o = await ortLabels(bytes, xyz, threads);
      ref = o.labels;
      ortMs = o.ms;
      if (cacheFile) {
        mkdirSync(dirname(cacheFile), { recursive: true });
        writeFileSync(cacheFile, gzipSync(Uint8Array.from(ref)));
      }
    }
    for (const precision of PRECISIONS) {
      const ours = await engineRun(ctx, bytes, xyz, precision);
      const r = result('meshnet_onnx_exports/model18cls.onnx (x,y,z order)', `brainchop_t1_crop ${grid}`, ortMs === undefined ? `onnxruntime-node 1.30 CPU (cached: ${cacheFile})` : `onnxruntime-node 1.30 CPU, ${threads} threads, this run`, ours, ref);
      if (ortMs !== undefined) { r.ortMs = ortMs; r.ortThreads = threads; }
      results.push(r);
      console.log(JSON.stringify(r));
    }
  }

  const lines = [
    `Conformance on **${ctx.adapterInfo.name}** (Dawn, ICD ${icd ?? 'loader default'}), binding limit ${ctx.limits.maxStorageBufferBindingSize / MiB} MiB:`,
    '',
    '| model | precision | input | reference | voxels equal | engine cold | engine warm | onnxruntime-node | tiles (per-layer boxes) | peak activation memory | nodes (ONNX → GPU), delegated |',
    '|---|---|---|---|---:|---:|---:|---:|---:|---:|---|',
    ...results.map((r) =>
      `| ${r.model} | ${r.precision} | ${r.input} | ${r.reference} | ${(100 * r.agreement).toFixed(4)} % ${r.pass ? '✓' : '✗'} | ${(r.coldMs / 1000).toFixed(2)} s | ${(r.warmMs / 1000).toFixed(2)} s | ${r.ortMs === undefined ? '—' : `${(r.ortMs / 1000).toFixed(2)} s (${r.ortThreads} threads; engine warm = ${(r.warmMs / r.ortMs).toFixed(2)}×)`} | ${r.tiles} | ${r.peakMiB.toFixed(0)} MiB (naive ${r.naiveMiB.toFixed(0)} MiB) | ${r.onnxNodes} → ${r.gpuNodes}, ${r.delegated} |`),
  ];
  console.log(lines.join('\n'));
  if (values.out) {
    mkdirSync(dirname(String(values.out)), { recursive: true });
    writeFileSync(String(values.out), JSON.stringify({ adapter: ctx.adapterInfo, bindingLimit: ctx.limits.maxStorageBufferBindingSize, results, table: lines.join('\n') }, null, 2));
  }
  return results.every((r) => r.pass) ? 0 : 1;
}

main().then((c) => process.exit(c), (e) => { console.error(e); process.exit(1); });
