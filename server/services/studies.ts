/**
 * Studies: creation from an uploaded file (validated before anything is stored), listing, deletion.
 *
 * Volume uploads are NIfTI (.nii / .nii.gz, stored unchanged as the 'original' Asset) or TIFF z
 * stacks (.tif / .tiff or the TIFF magic; ImageJ / OME / plain, lib/formats/tiff). Everything
 * downstream — the viewer (NiiVue cannot read TIFF), the server jobs, browser runs — reads the
 * 'original' Asset as NIfTI, so a TIFF is converted once, at upload: the 'original' Asset is a
 * gzipped NIfTI of the stack (voxels and sample type as stored; the TIFF's voxel size on a diagonal
 * affine, units µm — nm / cm / Å spacings are re-expressed in µm, which NIfTI can name), and the
 * uploaded TIFF bytes are kept unchanged as a 'source' Asset. Multi-channel TIFFs and time series of
 * z stacks are refused (only channel 0 / frame 0 would be read).
 */
import { z } from 'zod';
import { ArgumentError, FormatError, isTesseraError } from '@/lib/errors';
import { axisCodes, readNifti, writeNifti, type NiftiImage } from '@/lib/formats/nifti';
import { readTiffStack, singleStackVolume, type TiffStackMeta } from '@/lib/formats/tiff';
import { identityAffine } from '@/lib/volume';
import type { BlobRef } from '../blob/types';
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
  return filename.replace(/\.(nii(\.gz)?|tiff?)$/i, '') || filename;
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

/** A TIFF upload: by extension (.tif / .tiff) or by magic ('II*\0', 'MM\0*', BigTIFF 'II+\0', 'MM\0+'). */
export function isTiffUpload(bytes: Uint8Array, filename: string): boolean {
  if (/\.tiff?$/i.test(filename)) return true;
  if (bytes.length < 4) return false;
  const [a, b, c, d] = bytes;
  return (a === 0x49 && b === 0x49 && (c === 42 || c === 43) && d === 0) || (a === 0x4d && b === 0x4d && c === 0 && (d === 42 || d === 43));
}

/**
 * Reads and checks a TIFF stack and converts it to gzipped NIfTI bytes (see the file comment).
 * Throws a typed error (FORMAT_INVALID / FORMAT_UNSUPPORTED / TRUNCATED / ...) for anything else.
 */
export function tiffToNifti(bytes: Uint8Array, where: string): { nifti: Uint8Array; image: NiftiImage; tiff: TiffStackMeta } {
  let stack: ReturnType<typeof readTiffStack>;
  try {
    stack = readTiffStack(bytes, where);
  } catch (e) {
    if (isTesseraError(e)) throw e;
    throw new FormatError(`not a readable TIFF stack: ${e instanceof Error ? e.message : String(e)}`, {
      where,
      hint: 'Upload an ImageJ / OME / plain TIFF z stack, or a NIfTI file.',
      cause: e,
    });
  }
  const vol = singleStackVolume(stack, where);
  const version = vol.shape.some((d) => d > 32767) ? 2 : 1; // NIfTI-1 dims are 16-bit
  const nifti = writeNifti({ volume: vol, descrip: 'converted from TIFF by Tessera' }, { gzip: true, version });
  return { nifti, image: readNifti(nifti, where), tiff: stack.meta };
}

interface StoredFile {
  bytes: Uint8Array;
  role: 'original' | 'source';
  filename: string;
  mediaType: string;
}

/** Validated upload → the files to store and the study's meta (nothing stored yet). */
function prepareVolumeUpload(bytes: Uint8Array, rawName: string): { files: StoredFile[]; meta: StudyMeta } {
  if (isTiffUpload(bytes, rawName)) {
    const { nifti, image, tiff } = tiffToNifti(bytes, rawName);
    const base = displayName(rawName);
    const tiffMeta = { kind: tiff.kind, sampleType: tiff.sampleType, compression: tiff.compression, bigTiff: tiff.bigTiff, pages: tiff.pages, channels: tiff.channels, slices: tiff.slices, frames: tiff.frames };
    return {
      files: [
        { bytes: nifti, role: 'original', filename: `${base}.nii.gz`, mediaType: 'application/gzip' },
        { bytes, role: 'source', filename: /\.tiff?$/i.test(rawName) ? rawName : `${rawName}.tif`, mediaType: 'image/tiff' },
      ],
      meta: { ...niftiMeta(image, true), format: 'tiff', sourceFilename: rawName, tiff: tiffMeta },
    };
  }
  let img: NiftiImage;
  try {
    img = readNifti(bytes, rawName);
  } catch (e) {
    if (isTesseraError(e)) throw e;
    throw new FormatError(`not a readable NIfTI file: ${e instanceof Error ? e.message : String(e)}`, {
      where: rawName,
      hint: 'Upload a NIfTI-1/2 .nii or .nii.gz file, or a TIFF stack (.tif).',
      cause: e,
    });
  }
  const gz = isGzip(bytes);
  const filename = normaliseFilename(rawName, gz);
  return {
    files: [{ bytes, role: 'original', filename, mediaType: gz ? 'application/gzip' : 'application/octet-stream' }],
    meta: niftiMeta(img, gz),
  };
}

/**
 * Validates `bytes` as NIfTI or a TIFF stack (throws a typed error otherwise, storing nothing), then
 * stores the bytes (NIfTI unchanged; TIFF: the converted NIfTI as 'original' and the TIFF unchanged
 * as 'source', see the file comment) in the blob store and creates the Study and its Assets in one
 * transaction. On any failure no Study, no Asset and no orphan blob remain.
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
    throw new FormatError('the uploaded file is empty', { where: rawName, hint: 'Choose a .nii, .nii.gz or .tif file.' });
  }
  const { files, meta } = prepareVolumeUpload(bytes, rawName);
  const original = files[0];

  const stored: string[] = [];
  try {
    const refs: BlobRef[] = [];
    for (const f of files) {
      const ref = await deps.blobs.put(f.bytes);
      stored.push(ref.sha256);
      refs.push(ref);
    }
    return await deps.db.$transaction(async (tx) => {
      const project = await ensureDefaultProject(tx);
      const study = await tx.study.create({
        data: { projectId: project.id, kind: 'volume', name: name ?? displayName(original.filename), modality: modality ?? null, meta: meta as object },
        select: { id: true },
      });
      const ids: string[] = [];
      for (const [i, f] of files.entries()) {
        const asset = await tx.asset.create({
          data: { studyId: study.id, role: f.role, sha256: refs[i].sha256, bytes: BigInt(refs[i].bytes), filename: f.filename, mediaType: f.mediaType },
          select: { id: true },
        });
        ids.push(asset.id);
      }
      return { studyId: study.id, assetId: ids[0] };
    });
  } catch (e) {
    await collectGarbageBlobs(deps, stored).catch(() => undefined);
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
