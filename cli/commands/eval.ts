/**
 * `tessera eval --pred <labels.nii.gz> --gt <labels.nii.gz> [--json <out.json>]`
 * Instance AP (lib/metrics) of a predicted label map against ground truth on the same grid:
 * AP@0.5, AP@0.75, mean AP over 0.5:0.05:0.95 and the mean IoU of the pairs matched at 0.5.
 *
 * `tessera eval --suite validation [--methods classical,nuclei,cells] [--device auto|cpu|gpu|ort]
 *   [--json out.json] [--markdown out.md] [--markdown-into docs/BENCHMARKS.md] [--data <dir>]
 *   [--models-dir <dir>] [--classical tune|recorded] [--generated n,m] [--no-real]`
 * The validation suite of the bundled models (lib/eval): the validation halves of the real crops
 * and the held-out generated volumes; classical (tuned per dataset), the bundled nuclei and cells
 * U-Nets (server/inference: loadBundledModel → runModelOnVolume) scored by instanceAP; prints a
 * table, writes JSON (every item, every grid point) and a markdown table.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { ArgumentError, ShapeError, TesseraError } from '../../lib/errors';
import {
  DEFAULT_GENERATED_SPEC,
  METHODS,
  type MethodId,
  type ModelName,
  type ModelRunner,
  RECORDED_CLASSICAL_PARAMS,
  type RunEnvironment,
  type ValidationItem,
  generatedValidationItems,
  replaceMarkedSection,
  runValidationSuite,
  suiteMarkdown,
  suiteText,
} from '../../lib/eval';
import { instanceAP } from '../../lib/metrics';
import { sameShape } from '../../lib/volume';
import type { InferenceDevice } from '../../server/inference/run-onnx';
import { parse, requireString } from '../args';
import { readLabelFile, writeBytes } from '../io';
import { defaultSharedDataDir, loadRealCropItems } from '../validation-data';

export const EVAL_HELP = `Usage: tessera eval --pred <labels.nii.gz> --gt <labels.nii.gz> [--json <out.json>]
       tessera eval --suite validation [options]

Score an instance label map against ground truth (AP = TP/(TP+FP+FN), match = IoU > t).

Options:
  --pred <file>   predicted labels (NIfTI)
  --gt <file>     ground-truth labels (NIfTI, same grid)
  --json <file>   write the scores as JSON
  -h, --help      show this help

Validation suite (--suite validation): the validation halves (x ≥ width/2) of the PlantSeg crops
1136_mini (nuclei) and sample_ovule (cells), and held-out generated volumes (seeds 9001·100003+i:
6 nuclei, 4 membrane volumes of 96×96×48). Classical pipelines tuned per dataset by a grid search;
bundled U-Nets from models/<name>/.
  --methods <list>          comma-separated of classical,nuclei,cells (default all)
  --device <auto|cpu|gpu|ort>  where the models run (default auto; gpu fails without an adapter)
  --json <file>             every item's scores, the grid searches, the environment
  --markdown <file>         the markdown table and its notes
  --markdown-into <file>    replace the section between '<!-- eval:validation:start -->' and
                            '<!-- eval:validation:end -->' of a document with the markdown table
  --data <dir>              shared data folder holding cells/plantseg/ (default ../shared/data)
  --models-dir <dir>        folder of the bundled models (default models/)
  --classical <tune|recorded>  grid-search the classical parameters (default), or use the values
                            a full search chose (lib/eval/classical-search.ts RECORDED_CLASSICAL_PARAMS)
  --generated <n,m>         generated nuclei and membrane volumes (default 6,4)
  --no-real                 leave the real crops out`;

function parseMethods(raw: string | boolean | undefined): MethodId[] {
  if (raw === undefined) return [...METHODS];
  const list = String(raw).split(',').map((s) => s.trim()).filter(Boolean);
  for (const m of list) {
    if (!(METHODS as readonly string[]).includes(m)) throw new ArgumentError(`--methods: unknown method '${m}'`, { where: '--methods', hint: `Use a comma-separated list of ${METHODS.join(', ')}.` });
  }
  if (list.length === 0) throw new ArgumentError('--methods is empty', { where: '--methods', hint: `Use a comma-separated list of ${METHODS.join(', ')}.` });
  return list as MethodId[];
}

function parseDevice(raw: string | boolean | undefined): InferenceDevice {
  const v = raw === undefined ? 'auto' : String(raw);
  if (v === 'auto' || v === 'cpu' || v === 'gpu' || v === 'ort') return v;
  throw new ArgumentError(`--device must be auto, cpu, gpu or ort, got '${v}'`, { where: '--device' });
}

function parseGenerated(raw: string | boolean | undefined): [number, number] {
  if (raw === undefined) return [DEFAULT_GENERATED_SPEC.nucleiCount, DEFAULT_GENERATED_SPEC.membraneCount];
  const p = String(raw).split(',').map(Number);
  if (p.length !== 2 || p.some((n) => !Number.isInteger(n) || n < 0 || n > 1000)) {
    throw new ArgumentError(`--generated must be two counts 'nuclei,membranes', got '${String(raw)}'`, { where: '--generated' });
  }
  return [p[0], p[1]];
}

async function suiteCommand(values: Record<string, string | boolean | undefined>, argv: string[], log: (s: string) => void): Promise<number> {
  const where = 'eval --suite';
  if (values.suite !== 'validation') throw new ArgumentError(`unknown suite '${String(values.suite)}'`, { where: '--suite', hint: 'The only suite is validation.' });
  for (const k of ['pred', 'gt']) if (values[k] !== undefined) throw new ArgumentError(`--${k} does not go with --suite`, { where });
  const methods = parseMethods(values.methods);
  const device = parseDevice(values.device);
  const classical = values.classical === undefined ? 'tune' : String(values.classical);
  if (classical !== 'tune' && classical !== 'recorded') throw new ArgumentError(`--classical must be tune or recorded, got '${classical}'`, { where: '--classical' });
  const [nucleiCount, membraneCount] = parseGenerated(values.generated);
  const dataDir = typeof values.data === 'string' ? values.data : defaultSharedDataDir();

  const t0 = performance.now();
  const items: ValidationItem[] = [];
  if (!values['no-real']) items.push(...loadRealCropItems(dataDir));
  items.push(...generatedValidationItems({ ...DEFAULT_GENERATED_SPEC, nucleiCount, membraneCount }));
  if (items.length === 0) throw new ArgumentError('the validation set is empty', { where, hint: 'Drop --no-real or give --generated counts > 0.' });
  log(`eval: ${items.length} validation items (${((performance.now() - t0) / 1000).toFixed(1)} s to load/generate); methods ${methods.join(', ')}`);

  const env: RunEnvironment = {
    date: new Date().toISOString(),
    machine: `${os.cpus()[0]?.model?.trim() ?? 'unknown CPU'} × ${os.cpus().length} cores, ${os.type()} ${os.release()}`,
    node: process.versions.node,
    deviceRequested: device,
    models: {},
    command: `tessera eval ${argv.join(' ')}`,
  };
  let runModel: ModelRunner | undefined;
  if (methods.some((m) => m !== 'classical')) {
    const { loadBundledModel } = await import('../../server/inference/bundled-models');
    const { runModelOnVolume } = await import('../../server/inference/run-model-on-volume');
    const { acquireCliGpu } = await import('../gpu');
    const modelsDir = typeof values['models-dir'] === 'string' ? values['models-dir'] : undefined;
    const loaded = new Map<ModelName, ReturnType<typeof loadBundledModel>>();
    // load every model up front, so a missing one fails before minutes of tuning
    for (const m of methods) if (m !== 'classical') loaded.set(m, modelsDir ? loadBundledModel(m, modelsDir) : loadBundledModel(m));
    runModel = async (name, item) => {
      const m = loaded.get(name)!;
      const r = await runModelOnVolume(m.bytes, item.image, m.card, { device, acquire: acquireCliGpu });
      if (!r.instanceLabels) {
        throw new TesseraError('INVALID_ARGUMENT', `model '${name}' gave no instance labels (card output.instances '${m.card.output.instances}')`, {
          where: m.path,
          hint: "The bundled models' cards use the 'cell-pipeline' instances that runModelOnVolume computes.",
        });
      }
      const ri = r.runInfo;
      env.models[name] = { card: `${m.card.name}@${m.card.version}`, sha256: m.card.sha256 ?? null, runner: ri.runner, device: ri.device, adapter: ri.adapter, fallbackReason: ri.fallbackReason };
      return { labels: r.instanceLabels, runner: ri.runner, device: ri.device, adapter: ri.adapter, fallbackReason: ri.fallbackReason };
    };
  }
  const classicalParams = classical === 'recorded' ? RECORDED_CLASSICAL_PARAMS : undefined;
  const result = await runValidationSuite(items, { methods, runModel, classicalParams, log });
  const table = suiteText(result);
  log(table);
  log(`eval: suite ran in ${(result.totalMs / 1000).toFixed(1)} s`);
  const md = suiteMarkdown(result, env);
  if (typeof values.json === 'string') {
    const report = {
      suite: 'validation',
      environment: env,
      dataDir,
      validationItems: items.map((it) => ({ id: it.id, family: it.family, kind: it.kind, shape: it.image.shape, spacing: it.image.spacing, origin: it.origin, seed: it.seed ?? null })),
      methods: result.methods,
      families: result.families,
      acceptance: result.acceptance,
      results: result.items,
      tuning: result.tuning,
      totalMs: result.totalMs,
    };
    writeBytes(values.json, `${JSON.stringify(report, null, 1)}\n`);
  }
  if (typeof values.markdown === 'string') writeBytes(values.markdown, md);
  if (typeof values['markdown-into'] === 'string') {
    const file = values['markdown-into'];
    let doc: string;
    try {
      doc = readFileSync(file, 'utf8');
    } catch (e) {
      throw new TesseraError('NOT_FOUND', 'cannot read the document to update', { where: file, hint: 'Give an existing markdown file with the eval:validation markers.', cause: e });
    }
    writeBytes(file, replaceMarkedSection(doc, md));
    log(`eval: table written into ${file}`);
  }
  return 0;
}

export async function evalCommand(argv: string[], log: (s: string) => void): Promise<number> {
  const { values, positionals } = parse('eval', argv, {
    pred: { type: 'string' },
    gt: { type: 'string' },
    json: { type: 'string' },
    suite: { type: 'string' },
    methods: { type: 'string' },
    device: { type: 'string' },
    markdown: { type: 'string' },
    'markdown-into': { type: 'string' },
    data: { type: 'string' },
    'models-dir': { type: 'string' },
    classical: { type: 'string' },
    generated: { type: 'string' },
    'no-real': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    log(EVAL_HELP);
    return 0;
  }
  if (positionals.length) {
    throw new ShapeError(`unexpected argument '${positionals[0]}'`, { where: 'eval', hint: 'Give --pred and --gt.' });
  }
  if (values.suite !== undefined) return suiteCommand(values, argv, log);
  for (const k of ['methods', 'device', 'markdown', 'markdown-into', 'data', 'models-dir', 'classical', 'generated', 'no-real']) {
    if (values[k] !== undefined) throw new ArgumentError(`--${k} needs --suite validation`, { where: 'eval', hint: "Run 'tessera eval --help' for usage." });
  }
  const predPath = requireString(values, 'pred', 'eval');
  const gtPath = requireString(values, 'gt', 'eval');
  const pred = readLabelFile(predPath);
  const gt = readLabelFile(gtPath);
  if (!sameShape(pred.shape, gt.shape)) {
    throw new ShapeError(`pred is ${pred.shape.join('×')} but gt is ${gt.shape.join('×')}`, {
      where: 'eval',
      hint: 'Score label maps on the same grid.',
    });
  }
  const r = instanceAP(pred.data, gt.data);
  if (typeof values.json === 'string') writeBytes(values.json, JSON.stringify({ pred: predPath, gt: gtPath, ...r }, null, 1));
  log(
    `AP@0.5 ${r.ap50.toFixed(4)}  AP@0.75 ${r.ap75.toFixed(4)}  AP@[0.5:0.95] ${r.apMean.toFixed(4)}  ` +
      `mean matched IoU ${r.meanMatchedIoU.toFixed(4)}  (pred ${r.nPred}, gt ${r.nGt}, TP@0.5 ${r.tp50})`,
  );
  return 0;
}
