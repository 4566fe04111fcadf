/**
 * `npx tsx bench/unet-devices.ts` — the bundled U-Nets (models/nuclei, models/cells) on the issue #5
 * validation suite, on both inference devices: Tessera's WebGPU engine on Dawn (the kernels the
 * browser runs) and onnxruntime-node on the CPU (the server's fallback). Per item, whole volumes (the
 * CI test uses a 48-voxel slab to stay short on a software GPU):
 *   - instances on each device and the voxel agreement of the two instance maps (matched labels,
 *     both ways: lib/metrics matchedVoxelAgreement) — issue #5 asks ≥ 99.5 %;
 *   - AP@0.5 of each device's instances against the ground truth;
 *   - warm wall time of `runModelOnVolume` (normalisation, sliding-window network, instance step)
 *     on each device, and of its network part alone (sliding-window inference incl. host↔device
 *     transfers; the rest is normalisation and the CPU instance step): every item runs `--reps` + 1
 *     times per device, the first is dropped (pipeline compilation, onnxruntime session), the best
 *     of the rest is reported, and the ratio ort / GPU.
 *
 * Options: --data ../shared/data   --only nuclei|cells   --items N (first N items per family)
 *          --reps 1   --ort-threads N (default: all cores)   --out <file.md>   --json <file.json>
 * Exit 1 when an agreement is below 99.5 % or no WebGPU adapter exists.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadValidationSet } from '../cli/validation-data';
import { instanceAP, matchedVoxelAgreement } from '../lib/metrics';
import { loadBundledModel } from '../server/inference/bundled-models';
import { runModelOnVolume, type RunModelOnVolumeResult } from '../server/inference/run-model-on-volume';
import { acquireInferenceGpu } from '../server/inference/run-onnx';

const REQUIRED = 0.995;
const { values } = parseArgs({
  options: {
    data: { type: 'string', default: '../shared/data' },
    only: { type: 'string' },
    items: { type: 'string' },
    reps: { type: 'string', default: '1' },
    'ort-threads': { type: 'string', default: String(cpus().length) },
    out: { type: 'string' },
    json: { type: 'string' },
  },
});
const reps = Math.max(1, Number(values.reps));
const ortThreads = Number(values['ort-threads']);
const perFamily = values.items ? Number(values.items) : Infinity;

interface Row {
  item: string;
  model: 'nuclei' | 'cells';
  shape: number[];
  gt: number;
  gpu: { instances: number; ap50: number; ms: number; msCold: number; netMs: number };
  ort: { instances: number; ap50: number; ms: number; msCold: number; netMs: number };
  agreement: number;
}

async function timed(run: () => Promise<RunModelOnVolumeResult>) {
  let t = performance.now();
  let r = await run();
  const cold = performance.now() - t;
  let best = Infinity;
  let net = Infinity;
  for (let i = 0; i < reps; i++) {
    t = performance.now();
    r = await run();
    const ms = performance.now() - t;
    if (ms < best) {
      best = ms;
      net = (r.params.timingsMs as { inference: number }).inference;
    }
  }
  return { r, cold, best, net };
}

async function main() {
  const gpu = await acquireInferenceGpu();
  const adapter = gpu.adapterInfo.name;
  const items = loadValidationSet(resolve(String(values.data)));
  const seen = new Map<string, number>();
  const rows: Row[] = [];
  const models = { nuclei: loadBundledModel('nuclei'), cells: loadBundledModel('cells') };
  for (const item of items) {
    if (values.only && item.kind !== values.only) continue;
    const n = seen.get(item.family) ?? 0;
    if (n >= perFamily) continue;
    seen.set(item.family, n + 1);
    const m = models[item.kind];
    const g = await timed(() => runModelOnVolume(m.bytes, item.image, m.card, { device: 'gpu' }));
    const o = await timed(() => runModelOnVolume(m.bytes, item.image, m.card, { device: 'ort', ortThreads }));
    if (g.r.runInfo.runner !== 'tessera' || g.r.runInfo.delegated) throw new Error(`${item.id}: the GPU run was not all on our engine (${g.r.runInfo.runner}, ${g.r.runInfo.delegated} delegated)`);
    const a = g.r.instanceLabels as Uint32Array;
    const b = o.r.instanceLabels as Uint32Array;
    const apGpu = instanceAP(a, item.labels.data);
    const apOrt = instanceAP(b, item.labels.data);
    const row: Row = {
      item: item.id,
      model: item.kind,
      shape: [...item.image.shape],
      gt: apGpu.nGt,
      gpu: { instances: g.r.instances.length, ap50: apGpu.ap50, ms: g.best, msCold: g.cold, netMs: g.net },
      ort: { instances: o.r.instances.length, ap50: apOrt.ap50, ms: o.best, msCold: o.cold, netMs: o.net },
      agreement: Math.min(matchedVoxelAgreement(a, b), matchedVoxelAgreement(b, a)),
    };
    rows.push(row);
    console.log(`${row.item} ${row.model}: agreement ${(100 * row.agreement).toFixed(3)} %, instances ${row.gpu.instances}/${row.ort.instances}, AP@0.5 ${row.gpu.ap50.toFixed(3)}/${row.ort.ap50.toFixed(3)}, warm ${row.gpu.ms.toFixed(0)}/${row.ort.ms.toFixed(0)} ms`);
  }
  const f = (x: number, d = 0) => x.toFixed(d);
  const lines = [
    `# Bundled U-Nets: WebGPU engine vs onnxruntime-node (issue #5)`,
    '',
    `${new Date().toISOString()} — node ${process.versions.node}; ${cpus().length} × ${cpus()[0]?.model ?? '?'}; adapter **${adapter}**; onnxruntime-node ${ortThreads} threads; best of ${reps} warm run(s) after one cold run. Command: \`npx tsx bench/unet-devices.ts ${process.argv.slice(2).join(' ')}\`.`,
    '',
    '| item | model | shape (x,y,z) | GT | instances GPU / ort | agreement | AP@0.5 GPU / ort | GPU warm (cold) ms | ort warm (cold) ms | ort / GPU | network GPU / ort ms | ort / GPU network |',
    '| --- | --- | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map((r) => `| ${r.item} | ${r.model} | ${r.shape.join('×')} | ${r.gt} | ${r.gpu.instances} / ${r.ort.instances} | ${(100 * r.agreement).toFixed(3)} % | ${f(r.gpu.ap50, 3)} / ${f(r.ort.ap50, 3)} | ${f(r.gpu.ms)} (${f(r.gpu.msCold)}) | ${f(r.ort.ms)} (${f(r.ort.msCold)}) | ${(r.ort.ms / r.gpu.ms).toFixed(2)} | ${f(r.gpu.netMs)} / ${f(r.ort.netMs)} | ${(r.ort.netMs / r.gpu.netMs).toFixed(2)} |`),
    '',
    `Lowest agreement: ${(100 * Math.min(...rows.map((r) => r.agreement))).toFixed(3)} % (required ${100 * REQUIRED} %).`,
  ];
  const md = lines.join('\n') + '\n';
  console.log(md);
  for (const [file, text] of [[values.out, md], [values.json, JSON.stringify({ adapter, ortThreads, reps, rows }, null, 2)]] as const) {
    if (!file) continue;
    mkdirSync(dirname(resolve(file)), { recursive: true });
    writeFileSync(file, text);
  }
  process.exit(rows.length > 0 && rows.every((r) => r.agreement >= REQUIRED) ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
