/**
 * The end of every segmentation run, server or browser, classical or model: the label NIfTI blob,
 * the `labels` Asset, the Instance rows and the Run marked succeeded, in one transaction (the blob
 * is collected again when the transaction fails); or the Run marked failed with the message.
 */
import { writeLabelNifti, type NiftiHeader } from '@/lib/formats/nifti';
import type { InstanceStats } from '@/lib/segmentation';
import type { LabelVolume } from '@/lib/volume';
import type { ServiceDeps } from '../services/deps';
import { collectGarbageBlobs } from '../services/assets';
import { errorMessage } from '../services/errors';

/** An instance to store; without `className` the row gets the column's default. */
export interface InstanceToStore extends InstanceStats {
  className?: string;
}

export interface RunResultToStore {
  labels: LabelVolume;
  /** The original image's header: the label NIfTI gets its grid, affine and units. */
  header: NiftiHeader;
  /** The labels Asset's file name. */
  filename: string;
  instances: readonly InstanceToStore[];
  runner: string;
  device: 'webgpu' | 'cpu';
  adapter: string | null;
  /** Numbers only (ms, bytes, counts); `saveMs` is added. */
  timings: Record<string, number>;
  /** Merged into the Run's params (a JSON-safe copy: undefined values dropped). */
  params: Record<string, unknown>;
  /** performance.now() when saving began (`saveMs` counts from it); default: now. */
  saveStart?: number;
}

export async function storeRunResult(deps: ServiceDeps, runId: string, r: RunResultToStore): Promise<void> {
  const { db, blobs } = deps;
  const t1 = r.saveStart ?? performance.now();
  const ref = await blobs.put(writeLabelNifti(r.labels, r.header, { gzip: true }));
  try {
    await db.$transaction(async (tx) => {
      const run = await tx.run.findUniqueOrThrow({ where: { id: runId }, select: { params: true } });
      const asset = await tx.asset.create({
        data: { runId, role: 'labels', sha256: ref.sha256, bytes: BigInt(ref.bytes), filename: r.filename, mediaType: 'application/gzip' },
        select: { id: true },
      });
      if (r.instances.length > 0) {
        await tx.instance.createMany({
          data: r.instances.map((s) => ({
            runId,
            labelId: s.labelId,
            className: s.className,
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
          runner: r.runner,
          device: r.device,
          adapter: r.adapter,
          timings: { ...r.timings, saveMs: performance.now() - t1 },
          // JSON-safe copy (drops undefined) of the run's API params plus the result's own fields.
          params: JSON.parse(JSON.stringify({ ...(run.params as object), ...r.params })) as object,
          instanceCount: r.instances.length,
          labelAssetId: asset.id,
          finishedAt: new Date(),
          error: null,
        },
      });
    });
  } catch (e) {
    await collectGarbageBlobs(deps, [ref.sha256]).catch(() => undefined);
    throw e;
  }
}

/** Marks a run failed (no-op when it was deleted meanwhile). */
export async function failRun(deps: Pick<ServiceDeps, 'db'>, runId: string, e: unknown, prefix = ''): Promise<void> {
  await deps.db.run
    .updateMany({
      where: { id: runId },
      data: { status: 'failed', error: `${prefix}${errorMessage(e)}`.slice(0, 4000), finishedAt: new Date() },
    })
    .catch(() => undefined);
}
