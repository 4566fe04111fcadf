/**
 * The server-side classical segmentation job: original NIfTI → segmentCells → label NIfTI asset +
 * Instance rows → Run succeeded (or failed with the message).
 */
import { readNifti, writeLabelNifti } from '@/lib/formats/nifti';
import type { ClassicalParams } from '@/lib/segmentation';
import { segmentCellsInWorker } from './run-in-worker';
import type { ServiceDeps } from '../services/deps';
import { SegmentCellsParams } from '../services/params';
import { collectGarbageBlobs } from '../services/assets';
import { errorMessage } from '../services/errors';
import { ProgressWriter } from './progress';

/** API parameter names (runs.segmentCells) → the pipeline's. */
export function toClassicalParams(p: SegmentCellsParams): ClassicalParams {
  return {
    smoothSigma: p.smooth,
    minDistance: p.minDistance,
    threshold: p.threshold,
    minVoxels: p.minSize,
    excludeBorder: p.excludeBorder,
    connectivity: p.connectivity,
  };
}

/** Yields to the event loop so the request that queued the job can answer first. */
const yieldOnce = () => new Promise<void>((r) => setImmediate(r));

export async function runSegmentCellsJob(deps: ServiceDeps, runId: string): Promise<void> {
  const { db, blobs } = deps;
  let labelSha: string | null = null;
  try {
    await yieldOnce();
    const run = await db.run.update({
      where: { id: runId },
      data: { status: 'running', stage: 'loading', progress: 0, startedAt: new Date() },
    });
    const original = await db.asset.findFirst({ where: { studyId: run.studyId, role: 'original' }, orderBy: { createdAt: 'asc' } });
    if (!original) throw new Error(`study ${run.studyId} has no original asset`);
    const img = readNifti(await blobs.get(original.sha256), original.filename);

    const progress = new ProgressWriter(async (stage, p) => {
      await db.run.updateMany({ where: { id: runId, status: 'running' }, data: { stage, progress: p } });
    });
    const params = toClassicalParams(SegmentCellsParams.parse(run.params ?? {}));
    progress.report('segmenting', 0.01);
    await yieldOnce();
    const t0 = performance.now();
    // CPU work runs in a worker thread: the server keeps answering and stage updates land live.
    const result = await segmentCellsInWorker(img.volume, params, (stage, fraction) => progress.report(stage, fraction));
    const segmentMs = performance.now() - t0;
    await progress.close();

    await db.run.update({ where: { id: runId }, data: { stage: 'saving', progress: 0.98 } });
    const t1 = performance.now();
    const labelBytes = writeLabelNifti(result.labels, img.header, { gzip: true });
    const ref = await blobs.put(labelBytes);
    labelSha = ref.sha256;
    const instances = result.instances;
    const timings: Record<string, number> = { ...result.timings, totalMs: segmentMs };
    const base = original.filename.replace(/\.nii(\.gz)?$/i, '');

    await db.$transaction(async (tx) => {
      const asset = await tx.asset.create({
        data: {
          runId,
          role: 'labels',
          sha256: ref.sha256,
          bytes: BigInt(ref.bytes),
          filename: `${base}_labels.nii.gz`,
          mediaType: 'application/gzip',
        },
        select: { id: true },
      });
      if (instances.length > 0) {
        await tx.instance.createMany({
          data: instances.map((s) => ({
            runId,
            labelId: s.labelId,
            voxels: s.voxels,
            volume: s.volume,
            centroidX: s.centroid[0],
            centroidY: s.centroid[1],
            centroidZ: s.centroid[2],
            worldX: s.centroidWorld[0],
            worldY: s.centroidWorld[1],
            worldZ: s.centroidWorld[2],
            bboxMinX: s.bbox.min[0],
            bboxMinY: s.bbox.min[1],
            bboxMinZ: s.bbox.min[2],
            bboxMaxX: s.bbox.max[0],
            bboxMaxY: s.bbox.max[1],
            bboxMaxZ: s.bbox.max[2],
          })),
        });
      }
      await tx.run.update({
        where: { id: runId },
        data: {
          status: 'succeeded',
          stage: 'done',
          progress: 1,
          timings: { ...timings, saveMs: performance.now() - t1 },
          params: { ...(run.params as object), resolved: { ...result.params }, threshold: result.threshold, seedCount: result.seedCount },
          instanceCount: instances.length,
          labelAssetId: asset.id,
          finishedAt: new Date(),
          error: null,
        },
      });
    });
  } catch (e) {
    if (labelSha) await collectGarbageBlobs(deps, [labelSha]).catch(() => undefined);
    // The run may have been deleted meanwhile (study deleted): updateMany then touches nothing.
    await db.run
      .updateMany({
        where: { id: runId },
        data: { status: 'failed', error: errorMessage(e).slice(0, 4000), finishedAt: new Date() },
      })
      .catch(() => undefined);
  }
}
