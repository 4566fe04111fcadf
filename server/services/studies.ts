/**
 * Studies: creation from an uploaded file (validated before anything is stored), listing, deletion.
 */
import { z } from 'zod';
import { ArgumentError, FormatError, isTesseraError } from '@/lib/errors';
import { axisCodes, readNifti, type NiftiImage } from '@/lib/formats/nifti';
import { identityAffine } from '@/lib/volume';
import type { ServiceDeps } from './deps';
import { ensureDefaultProject } from './defaults';
import { collectGarbageBlobs } from './assets';
import { notFound } from './errors';
import { createPointCloudStudyFromUpload, isPointCloudUpload } from './pointclouds';
import { UploadMeta } from './upload-meta';
import { toAssetSummary, toStudySummary, type StudyDetail, type StudyMeta, type StudySummary } from './serialize';

export { UploadMeta } from './upload-meta';

const runOrder = { orderBy: { createdAt: 'desc' as const } };

function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/** Filename with an extension that matches the content (.nii or .nii.gz). */
function normaliseFilename(filename: string, gz: boolean): string {
  const lower = filename.toLowerCase();
  if (gz) return lower.endsWith('.nii.gz') ? filename : `${filename.replace(/\.(nii|gz)$/i, '')}.nii.gz`;
  return lower.endsWith('.nii') ? filename : `${filename.replace(/\.(nii\.gz|gz)$/i, '')}.nii`;
}

function displayName(filename: string): string {
  return filename.replace(/\.nii(\.gz)?$/i, '') || filename;
}

export function niftiMeta(img: NiftiImage, gz: boolean): StudyMeta {
  const v = img.volume;
  const affine = v.affine ?? identityAffine(v.spacing);
  const h = img.header;
  return {
    format: 'nifti',
    niftiVersion: h.version,
    gzip: gz,
    shape: v.shape,
    spacing: v.spacing,
    datatype: h.datatypeName,
    components: img.components,
    dims: h.dim.slice(1, 1 + h.dim[0]),
    orientation: axisCodes(affine),
    affine,
    units: v.units ?? null,
  };
}

/**
 * Validates `bytes` as NIfTI (throws a typed error otherwise, storing nothing), then stores the bytes
 * unchanged in the blob store and creates the Study and its 'original' Asset in one transaction.
 * On any failure no Study, no Asset and no orphan blob remain.
 */
export async function createVolumeStudyFromUpload(
  deps: ServiceDeps,
  bytes: Uint8Array,
  input: UploadMeta,
): Promise<{ studyId: string; assetId: string }> {
  const parsed = UploadMeta.safeParse(input);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new ArgumentError(i?.message ?? 'invalid upload', { where: `upload.${i?.path.join('.') ?? ''}`, hint: 'Send x-filename with the file name.' });
  }
  const { filename: rawName, name, modality } = parsed.data;
  if (bytes.byteLength === 0) {
    throw new FormatError('the uploaded file is empty', { where: rawName, hint: 'Choose a .nii or .nii.gz file.' });
  }
  let img: NiftiImage;
  try {
    img = readNifti(bytes, rawName);
  } catch (e) {
    if (isTesseraError(e)) throw e;
    throw new FormatError(`not a readable NIfTI file: ${e instanceof Error ? e.message : String(e)}`, {
      where: rawName,
      hint: 'Upload a NIfTI-1/2 .nii or .nii.gz file.',
      cause: e,
    });
  }
  const gz = isGzip(bytes);
  const filename = normaliseFilename(rawName, gz);
  const meta = niftiMeta(img, gz);

  const ref = await deps.blobs.put(bytes);
  try {
    return await deps.db.$transaction(async (tx) => {
      const project = await ensureDefaultProject(tx);
      const study = await tx.study.create({
        data: { projectId: project.id, kind: 'volume', name: name ?? displayName(filename), modality: modality ?? null, meta: meta as object },
        select: { id: true },
      });
      const asset = await tx.asset.create({
        data: {
          studyId: study.id,
          role: 'original',
          sha256: ref.sha256,
          bytes: BigInt(ref.bytes),
          filename,
          mediaType: gz ? 'application/gzip' : 'application/octet-stream',
        },
        select: { id: true },
      });
      return { studyId: study.id, assetId: asset.id };
    });
  } catch (e) {
    await collectGarbageBlobs(deps, [ref.sha256]).catch(() => undefined);
    throw e;
  }
}

/**
 * Dispatches an upload by kind: point clouds (.ply .pcd .las .laz .xyz .csv .txt .pts, or PLY / PCD /
 * LAS magic) to `createPointCloudStudyFromUpload`, everything else to `createVolumeStudyFromUpload`.
 * Either validates before storing and stores nothing on failure.
 */
export async function createStudyFromUpload(
  deps: ServiceDeps,
  bytes: Uint8Array,
  input: UploadMeta,
): Promise<{ studyId: string; assetId: string; kind: 'volume' | 'pointcloud' }> {
  const filename = typeof input?.filename === 'string' ? input.filename.trim() : '';
  if (filename && isPointCloudUpload(bytes, filename)) {
    return { ...(await createPointCloudStudyFromUpload(deps, bytes, input)), kind: 'pointcloud' };
  }
  return { ...(await createVolumeStudyFromUpload(deps, bytes, input)), kind: 'volume' };
}

export async function listStudies(deps: ServiceDeps): Promise<StudySummary[]> {
  const rows = await deps.db.study.findMany({ orderBy: { createdAt: 'desc' }, include: { runs: runOrder } });
  return rows.map(toStudySummary);
}

export async function getStudy(deps: ServiceDeps, id: string): Promise<StudyDetail> {
  const s = await deps.db.study.findUnique({
    where: { id },
    include: { runs: runOrder, assets: { orderBy: { createdAt: 'asc' } } },
  });
  if (!s) throw notFound('study', id);
  return { ...toStudySummary(s), assets: s.assets.map(toAssetSummary) };
}

/** The study's original file: its asset row (for download and for pipelines). */
/** The study's original upload; with `kind`, refuses (INVALID_ARGUMENT) a study of another kind before anything runs. */
export async function getOriginalAsset(deps: ServiceDeps, studyId: string, kind?: 'volume' | 'pointcloud') {
  const study = await deps.db.study.findUnique({ where: { id: studyId }, select: { id: true, kind: true } });
  if (!study) throw notFound('study', studyId);
  if (kind && study.kind !== kind) {
    throw new ArgumentError(`study ${studyId} is a ${study.kind} study; this runs on ${kind} studies`, {
      where: 'runs',
      hint: kind === 'volume' ? 'Segment point clouds with the point cloud pipeline.' : 'Use the volume pipelines (segment-cells, models) for volumes.',
    });
  }
  const asset = await deps.db.asset.findFirst({ where: { studyId, role: 'original' }, orderBy: { createdAt: 'asc' } });
  if (!asset) throw notFound('original asset of study', studyId);
  return asset;
}

/** Deletes the study with its runs, instances and assets (cascade), then blobs nobody references. */
export async function deleteStudy(deps: ServiceDeps, id: string): Promise<{ deleted: true }> {
  const s = await deps.db.study.findUnique({ where: { id }, select: { id: true } });
  if (!s) throw notFound('study', id);
  const assets = await deps.db.asset.findMany({
    where: { OR: [{ studyId: id }, { run: { studyId: id } }] },
    select: { sha256: true },
  });
  await deps.db.study.delete({ where: { id } });
  await collectGarbageBlobs(deps, assets.map((a) => a.sha256));
  return { deleted: true };
}
