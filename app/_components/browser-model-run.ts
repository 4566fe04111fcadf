/**
 * "Run model" on "Browser": a registered ONNX model run in this page and its label map posted to
 * the server, which checks and stores it.
 *
 *   GET /api/models/:id/onnx + GET /api/studies/:id/volume
 *   → runner choice: tessera (gpu-kernels/onnx on navigator.gpu) or, automatically,
 *     onnxruntime-web (wasm) when this browser has no WebGPU adapter or the model has an op the
 *     engine lacks (UnsupportedOpError, checked before any GPU work)
 *   → runs.createBrowserModelRun (runner/device/adapter recorded)
 *   → readNifti → prepareModelInput (the card's normalisation, axis order, spacing, padding)
 *   → run (per-tile progress → runs.reportProgress; the card's sliding window, as on the server)
 *   → the labels, exactly as server/inference/run-model-on-volume.ts computes them:
 *     - 'connected-components' / 'none' cards: labelsFromOutput → the CLASS map (native grid); the
 *       server computes the instances;
 *     - 'cell-pipeline' cards (the bundled nuclei / cells U-Nets): the network runs on
 *       `cellPipelineCard(card, spacing, params)` (isotropic resampling when asked), then
 *       `cellInstancesOnGrid` here → the INSTANCE map 1..N (native grid) + `result.cellPipeline`
 *       (parameters, seedCount, grid); the server re-checks the map and recomputes the stats
 *   → writeLabelNifti (study header) → POST /api/runs/:id/result (multipart: labels + result JSON)
 *
 * Browser-safe: imports lib/ and the browser-safe gpu-kernels modules only (never node-gpu).
 */
import { readNifti, writeLabelNifti } from '@/lib/formats/nifti';
import { withClassCount, type ModelCard } from '@/lib/model/card';
import { cellInstancesOnGrid, cellPipelineCard, resolveCellPipelineParams } from '@/lib/model/cell-instances';
import { labelsFromOutput, outputClassCount, prepareModelInput, tensorSliding } from '@/lib/model/prepare';
import type { GpuContext } from '@/gpu-kernels/runtime';
import { UnsupportedOpError, prepareModel, runModel, runSlidingWindow, type GpuModel, type OutputTensor, type RunStats } from '@/gpu-kernels/onnx';
import { browserGpu } from './browser-run';
import { withBrowserRunSession, type BrowserRunReportApi } from './browser-run-session';

export type ModelRunner = 'tessera' | 'onnxruntime-web';
export type ModelDevice = 'webgpu' | 'wasm';

/** The tRPC calls the run makes (the page passes its client's mutations). */
export interface BrowserModelRunApi extends BrowserRunReportApi {
  createBrowserModelRun: (input: {
    studyId: string;
    modelId: string;
    runner: ModelRunner;
    device: ModelDevice;
    adapter: string | null;
  }) => Promise<{ runId: string }>;
}

/** What the page shows while a browser model run goes on. */
export interface ModelRunProgress {
  phase: 'loading' | 'preparing' | 'inference' | 'instances' | 'uploading';
  /** Tiles done / total during inference (1 tile when the volume fits a storage binding). */
  done: number;
  total: number;
  runner: ModelRunner | null;
}

export interface BrowserModelRunOptions {
  studyId: string;
  model: { id: string; name: string; card: ModelCard };
  api: BrowserModelRunApi;
  onRun?: (run: BrowserModelRunInfo) => void;
  onProgress?: (p: ModelRunProgress) => void;
}

export interface BrowserModelRunInfo {
  runId: string;
  runner: ModelRunner;
  device: ModelDevice;
  adapter: string | null;
  /** Why the tessera engine was not used (null when it was). */
  fallback: string | null;
}

/** The runner a browser model run uses, decided before the Run exists. */
export type RunnerChoice =
  | { runner: 'tessera'; ctx: GpuContext; model: GpuModel; fallback: null }
  | { runner: 'onnxruntime-web'; fallback: string; unsupportedOps: string[] };

/**
 * Tessera when there is a WebGPU device and the engine supports every op of the model; otherwise
 * onnxruntime-web with the reason. Other model errors (not ONNX, truncated) are thrown.
 */
export function chooseRunner(ctx: GpuContext | null, bytes: Uint8Array): RunnerChoice {
  if (!ctx) return { runner: 'onnxruntime-web', fallback: 'no WebGPU adapter in this browser', unsupportedOps: [] };
  try {
    return { runner: 'tessera', ctx, model: prepareModel(bytes), fallback: null };
  } catch (e) {
    if (e instanceof UnsupportedOpError) {
      return { runner: 'onnxruntime-web', fallback: `ops not supported by the tessera engine: ${e.ops.join(', ')}`, unsupportedOps: [...e.ops] };
    }
    throw e;
  }
}

async function fetchBytes(url: string, what: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) {
    const j = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
    throw new Error(`could not download the ${what}: HTTP ${res.status}${j?.error?.message ? ` ${j.error.message}` : ''}`);
  }
  return new Uint8Array(await res.arrayBuffer());
}

/** Runs the model in the page and uploads the class map. Resolves when the server stored it. */
export async function runModelInBrowser(o: BrowserModelRunOptions): Promise<BrowserModelRunInfo> {
  const stageName = 'inference';
  o.onProgress?.({ phase: 'loading', done: 0, total: 0, runner: null });
  const t0 = performance.now();
  const [ctx, modelBytes, volumeBytes] = await Promise.all([
    browserGpu(),
    fetchBytes(`/api/models/${encodeURIComponent(o.model.id)}/onnx`, 'model'),
    fetchBytes(`/api/studies/${encodeURIComponent(o.studyId)}/volume`, 'volume'),
  ]);
  const downloadMs = performance.now() - t0;

  const choice = chooseRunner(ctx, modelBytes);
  const device: ModelDevice = choice.runner === 'tessera' ? 'webgpu' : 'wasm';
  const adapter = choice.runner === 'tessera' ? choice.ctx.adapterInfo.name || 'unknown adapter' : null;
  const { runId } = await o.api.createBrowserModelRun({ studyId: o.studyId, modelId: o.model.id, runner: choice.runner, device, adapter });
  const info: BrowserModelRunInfo = { runId, runner: choice.runner, device, adapter, fallback: choice.fallback };
  o.onRun?.(info);

  return withBrowserRunSession({ runId, api: o.api, idleStage: stageName }, async ({ report, upload }) => {
    report('preparing', 0.05, true);
    o.onProgress?.({ phase: 'preparing', done: 0, total: 0, runner: choice.runner });
    const t1 = performance.now();
    const img = readNifti(volumeBytes, 'volume');
    // 'cell-pipeline' cards run on the card adapted to the volume (isotropic resampling), as on the server.
    const cp = o.model.card.output.instances === 'cell-pipeline' ? resolveCellPipelineParams(o.model.card) : null;
    const card = cp ? cellPipelineCard(o.model.card, img.volume.spacing, cp) : o.model.card;
    const prepared = prepareModelInput(img.volume, card);
    const prepareMs = performance.now() - t1;

    report(stageName, 0.1, true);
    o.onProgress?.({ phase: 'inference', done: 0, total: 1, runner: choice.runner });
    await new Promise((r) => setTimeout(r, 0)); // let the page paint "tile 0/n"
    const t2 = performance.now();
    const sliding = tensorSliding(card, prepared.mapping);
    const slide = sliding?.window ?? null;
    const overlap = sliding?.overlap ?? 0.5;
    const mirror = sliding?.mirror ?? [];
    let output: { data: Float32Array | Int32Array; dims: number[]; type: 'float32' | 'int32' };
    let engine: { delegated: number; peakBytes: number | null; tiles: number; ms: number; threads?: number; sessionMs?: number; gpuNodes?: number; onnxNodes?: number };
    if (choice.runner === 'tessera') {
      const stats: Partial<RunStats> & { windows?: number } = {};
      const inputName = choice.model.graph.inputs[0].name;
      const outputName = choice.model.graph.outputs[0];
      const onProgress = (done: number, total: number) => {
        o.onProgress?.({ phase: 'inference', done, total, runner: 'tessera' });
        // The Run's stage is 'tile k/n' (server/services/browser-runs.ts BrowserStage).
        report(`tile ${done}/${total}`, 0.1 + 0.8 * (done / Math.max(1, total)), true);
      };
      if (slide) {
        // U-Nets / crop-trained nets: the card's window, Gaussian-blended (same windows as the server)
        const r = await runSlidingWindow(choice.ctx, choice.model, prepared.input, { window: slide, overlap, mirror, onProgress }, stats);
        output = { data: r.data, dims: r.dims, type: 'float32' };
        stats.tiles = stats.windows;
      } else {
        const outs: Record<string, OutputTensor> = await runModel(choice.ctx, choice.model, { [inputName]: prepared.input }, { onProgress }, stats);
        output = outs[outputName];
      }
      engine = {
        delegated: stats.delegated ?? 0,
        peakBytes: stats.peakBytes ?? null,
        tiles: stats.tiles ?? 1,
        ms: stats.ms ?? performance.now() - t2,
        gpuNodes: stats.gpuNodes,
        onnxNodes: stats.onnxNodes,
      };
    } else {
      const { runOrtWeb } = await import('./ort-web');
      const r = await runOrtWeb(modelBytes, prepared.input, slide ? { window: slide, overlap, mirror, onProgress: (done, total) => report(`tile ${done}/${total}`, 0.1 + 0.8 * (done / Math.max(1, total)), true) } : null);
      output = r.output;
      engine = { delegated: 0, peakBytes: null, tiles: r.stats.windows || 1, ms: r.stats.ms, threads: r.stats.threads, sessionMs: r.stats.sessionMs };
      o.onProgress?.({ phase: 'inference', done: 1, total: 1, runner: 'onnxruntime-web' });
      report(stageName, 0.9, true);
    }
    const inferenceMs = performance.now() - t2;

    let labelData: Uint32Array;
    let cellPipeline: Record<string, unknown> | null = null;
    let instancesMs: number | null = null;
    if (cp) {
      report('instances', 0.92, true);
      o.onProgress?.({ phase: 'instances', done: engine.tiles, total: engine.tiles, runner: choice.runner });
      await new Promise((r) => setTimeout(r, 0)); // let the page paint the stage
      const t = performance.now();
      if (output.type !== 'float32') throw new Error("a 'cell-pipeline' model must output float probabilities");
      const classes = withClassCount(card, outputClassCount(output, prepared.mapping)).output.classes;
      const r = cellInstancesOnGrid(output as { data: Float32Array; dims: number[] }, prepared.mapping, img.volume, cp, classes);
      labelData = r.labels;
      cellPipeline = { ...cp, seedCount: r.seedCount, minDistanceVoxels: r.minDistanceVoxels, grid: r.grid };
      instancesMs = performance.now() - t;
    } else {
      labelData = Uint32Array.from(labelsFromOutput(output, prepared.mapping));
    }

    report('uploading', 0.95, true);
    o.onProgress?.({ phase: 'uploading', done: engine.tiles, total: engine.tiles, runner: choice.runner });
    const t3 = performance.now();
    const labels = writeLabelNifti(
      {
        data: labelData,
        shape: [...img.volume.shape],
        spacing: [...img.volume.spacing],
        ...(img.volume.affine ? { affine: img.volume.affine } : {}),
        ...(img.volume.units !== undefined ? { units: img.volume.units } : {}),
      },
      img.header,
      { gzip: true },
    );
    const writeMs = performance.now() - t3;
    const timings: Record<string, number> = { downloadMs, prepareMs, totalInferenceMs: inferenceMs, writeMs };
    if (instancesMs !== null) timings.instancesMs = instancesMs;
    if (engine.sessionMs !== undefined) timings.sessionMs = engine.sessionMs;
    const result = {
      runner: choice.runner,
      device,
      adapter,
      delegated: engine.delegated,
      ...(engine.peakBytes !== null ? { peakBytes: engine.peakBytes } : {}),
      tiles: engine.tiles,
      ms: engine.ms,
      params: {
        ...prepared.params,
        ...(engine.threads !== undefined ? { threads: engine.threads } : {}),
        ...(engine.gpuNodes !== undefined ? { gpuNodes: engine.gpuNodes, onnxNodes: engine.onnxNodes } : {}),
      },
      fallbackReason: choice.fallback,
      ...(choice.runner === 'onnxruntime-web' ? { unsupportedOps: choice.unsupportedOps } : {}),
      ...(cellPipeline ? { cellPipeline } : {}),
      timings,
    };
    await upload(labels, result);
    return info;
  });
}
