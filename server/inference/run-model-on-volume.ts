/**
 * SERVER-SIDE (Node only; also used by the CLI): run a segmentation ONNX model on a volume.
 *
 * Stable entry point for the server's model jobs:
 *
 *   const r = await runModelOnVolume(bytes, volume, card, { device: 'auto', onProgress });
 *   r.classMap    // Uint8Array | Uint16Array: class id per voxel on the volume's own grid (x fastest)
 *   r.classes     // the card's classes, filled with class0..k−1 from the output when the card had none
 *   r.instances   // per-instance stats + classId/className ('connected-components' and 'cell-pipeline' cards; else [])
 *   r.instanceLabels  // Uint32Array instance label map on the native grid (null for 'none' cards)
 *   r.runInfo     // { runner, device, adapter, delegated, unsupportedOps, fallbackReason, peakBytes, tiles, ms, outputDims, outputType }
 *   r.params      // JSON for Run.params: card (name, version, sha256), deviceRequested, normalisation numbers,
 *                 // axis order, orientation, conform record, tensor dims, timings (ms)
 *
 * Composition: `prepareModelInput` (lib/model/prepare.ts) → `runOnnx` (./run-onnx.ts, device rules
 * there) → `labelsFromOutput` → `instancesFromClasses` (lib/model/instances.ts) when
 * `card.output.instances === 'connected-components'` (components of each non-background class,
 * `card.output.minInstanceVoxels`, 6-connectivity); for 'cell-pipeline' cards (the bundled nuclei /
 * cells U-Nets) the network's probabilities → p, q → `cellInstances` (lib/model/cell-instances.ts:
 * seeds → watershed → size filter) on the network's grid, cropped to the volume, then nearest
 * neighbour back to the native grid. With `resample: 'isotropic'` (card or `opts.cellPipeline`) the
 * volume is first resampled to cubic voxels at its finest spacing. 'none' gives no instances.
 * Errors: typed TesseraErrors (GPU_UNAVAILABLE for device 'gpu' without an adapter, INVALID_ARGUMENT
 * for a card the volume cannot satisfy, SHAPE_MISMATCH when the output does not match the input grid).
 */
import type { ModelCard, ModelClass } from '../../lib/model/card';
import { withClassCount } from '../../lib/model/card';
import { ArgumentError } from '../../lib/errors';
import { type CellPipelineParams, cellInstancesOnGrid, cellPipelineCard, resolveCellPipelineParams } from '../../lib/model/cell-instances';
import { type ClassInstance, instancesFromClasses } from '../../lib/model/instances';
import { labelsFromOutput, outputClassCount, prepareModelInput, tensorSliding } from '../../lib/model/prepare';
import type { Volume } from '../../lib/volume';
import { type RunOnnxOptions, type RunOnnxResult, runOnnx } from './run-onnx';

export type RunInfo = Omit<RunOnnxResult, 'output'> & { outputDims: number[]; outputType: 'float32' | 'int32' };

export interface RunModelOnVolumeResult {
  classMap: Uint8Array | Uint16Array;
  classes: ModelClass[];
  instances: ClassInstance[];
  instanceLabels: Uint32Array | null;
  runInfo: RunInfo;
  params: Record<string, unknown>;
}

export interface RunModelOnVolumeOptions extends RunOnnxOptions {
  /** Overrides of the card's 'cell-pipeline' instance-step parameters. */
  cellPipeline?: Partial<CellPipelineParams>;
}

export async function runModelOnVolume(bytes: Uint8Array, vol: Volume, givenCard: ModelCard, opts: RunModelOnVolumeOptions): Promise<RunModelOnVolumeResult> {
  const t0 = performance.now();
  const { cellPipeline: cpOverrides, ...onnxOpts } = opts;
  const cp = givenCard.output.instances === 'cell-pipeline' ? resolveCellPipelineParams(givenCard, cpOverrides) : null;
  const card = cp ? cellPipelineCard(givenCard, vol.spacing, cp) : givenCard;
  const prep = prepareModelInput(vol, card);
  const t1 = performance.now();
  const w = card.input.window ?? null;
  const sliding = tensorSliding(card, prep.mapping);
  const run = await runOnnx(bytes, prep.input, sliding ? { ...onnxOpts, ...sliding } : onnxOpts);
  const t2 = performance.now();
  const classMap = labelsFromOutput(run.output, prep.mapping);
  const full = withClassCount(card, outputClassCount(run.output, prep.mapping));
  const t3 = performance.now();
  let instances: ClassInstance[] = [];
  let instanceLabels: Uint32Array | null = null;
  if (card.output.instances === 'connected-components') {
    const r = instancesFromClasses(classMap, vol.shape, vol.spacing, { classes: full.output.classes, minVoxels: card.output.minInstanceVoxels, affine: vol.affine });
    instances = r.instances;
    instanceLabels = r.labels;
  }
  let cellRecord: Record<string, unknown> | null = null;
  if (cp) {
    if (run.output.type !== 'float32') throw new ArgumentError("a 'cell-pipeline' model must output float probabilities", { where: 'runModelOnVolume' });
    const r = cellInstancesOnGrid(run.output as { data: Float32Array; dims: number[] }, prep.mapping, vol, cp, full.output.classes);
    instances = r.instances;
    instanceLabels = r.labels;
    cellRecord = { ...cp, seedCount: r.seedCount, minDistanceVoxels: r.minDistanceVoxels, grid: r.grid };
  }
  const t4 = performance.now();
  const { output, ...rest } = run;
  const runInfo: RunInfo = { ...rest, outputDims: output.dims, outputType: output.type };
  const params: Record<string, unknown> = {
    card: { name: card.name, version: card.version, task: card.task, sha256: card.sha256 ?? null, instances: card.output.instances, minInstanceVoxels: card.output.minInstanceVoxels },
    deviceRequested: opts.device,
    cellPipeline: cellRecord,
    slidingWindow: sliding ? { window: w, overlap: sliding.overlap, mirror: card.input.mirror ?? [], windows: run.windows, blend: 'gaussian' } : null,
    ...prep.params,
    classCount: full.output.classes.length,
    timingsMs: { prepare: t1 - t0, inference: t2 - t1, labels: t3 - t2, instances: t4 - t3, total: t4 - t0 },
  };
  return { classMap, classes: full.output.classes, instances, instanceLabels, runInfo, params };
}
