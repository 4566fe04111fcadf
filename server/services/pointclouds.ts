/**
 * Point-cloud studies: upload (validated by lib/formats/pointcloud before anything is stored), the
 * labels the viewer shows (a Run's, else the file's own ground truth), per-instance tables, the
 * labelled PLY, and storing a point-cloud Run's per-point result.
 *
 * Storage, like volume studies: the uploaded bytes unchanged in the blob store (content-addressed)
 * as the Study's 'original' Asset. A Run's result is a 'labels' Asset holding a labelled PLY (the
 * study's points in the input's order with `int instance` and `int class` per point, written by
 * `writePly`) plus one Instance row per instance (voxels = point count, centroid and world = the
 * centroid, bbox = the extent rounded outwards to integers because the schema's bbox columns are
 * Int; the exact extents come from `pointInstanceStats` over the labels).
 */
import { UploadMeta } from './upload-meta';
import { z } from 'zod';
import { ArgumentError, FormatError, ShapeError, TesseraError, isTesseraError } from '@/lib/errors';
import {
  detectPointCloudFormat, parsePlyHeader, readPly, readPointCloud, writePly,
  type PointCloud, type PointCloudFormat,
} from '@/lib/formats/pointcloud';
import type { ServiceDeps } from './deps';
import { ensureDefaultProject } from './defaults';
import { collectGarbageBlobs } from './assets';
import { notFound } from './errors';
import { pointInstanceStats, type PointInstanceStats, type Vec3 } from './pointcloud-stats';

export { pointInstanceStats, type PointInstanceStats } from './pointcloud-stats';

/** Extensions the upload sends to the point-cloud readers. */
export const POINT_CLOUD_EXTENSIONS = ['ply', 'pcd', 'las', 'laz', 'xyz', 'csv', 'txt', 'pts'] as const;

/** Class id → display name. JSON keys are strings. */
export type ClassNames = Record<number, string>;

export interface PointCloudMeta {
  format: PointCloudFormat;
  points: number;
  /** Which optional per-point fields the file has; `labels` = the label properties' names. */
  fields: { colours: boolean; normals: boolean; intensity: boolean; labels: string[] };
  bounds: { min: Vec3; max: Vec3 };
  /** Depth-camera grid (point index = row·width + column), or null. */
  organised: { width: number; height: number } | null;
  /** Points without finite coordinates (kept in the file order, never drawn). */
  invalid: number;
  /** Which file labels are the ground truth, and how many instances they hold. */
  groundTruth: { instanceField: string | null; classField: string | null; instances: number };
  /** From a PLY comment "classes 1=box 2=cylinder …" (what `tessera generate-scene` writes). */
  classNames: ClassNames;
  [k: string]: unknown;
}


function extensionOf(filename: string): string {
  return /\.([a-z0-9]+)$/i.exec(filename)?.[1]?.toLowerCase() ?? '';
}

function startsWithAscii(bytes: Uint8Array, s: string): boolean {
  if (bytes.length < s.length) return false;
  for (let i = 0; i < s.length; i++) if (bytes[i] !== s.charCodeAt(i)) return false;
  return true;
}

/** True when the upload goes to the point-cloud readers: a point-cloud extension, or PLY / PCD / LAS magic. */
export function isPointCloudUpload(bytes: Uint8Array, filename: string): boolean {
  if ((POINT_CLOUD_EXTENSIONS as readonly string[]).includes(extensionOf(filename))) return true;
  return startsWithAscii(bytes, 'ply\n') || startsWithAscii(bytes, 'ply\r') || startsWithAscii(bytes, 'LASF') || startsWithAscii(bytes, '# .PCD');
}

// ---------------------------------------------------------------------------------------------
// labels: which file properties are the ground truth

const INSTANCE_KEYS = ['instance', 'instance_id', 'instance_label', 'ins', 'object', 'object_id', 'cluster', 'cluster_id', 'segment', 'segment_id'];
const CLASS_KEYS = ['class', 'class_id', 'semantic', 'semantic_id', 'semantic_label', 'sem', 'category', 'category_id', 'classification', 'part', 'part_id'];
const GENERIC_KEYS = ['label', 'labels'];

function findKey(labels: Record<string, Int32Array>, keys: string[]): string | null {
  const names = Object.keys(labels);
  for (const k of keys) {
    const hit = names.find((n) => n.toLowerCase() === k);
    if (hit) return hit;
  }
  return null;
}

/**
 * The file's per-point ground truth. Instance ids come from an instance-like property (instance,
 * instance_id, object, cluster, segment …), class ids from a class-like one (class, semantic,
 * category, classification, part …). A plain `label` (PLY) / `label` (PCD) is the instance id when
 * no instance-like property exists, else the class id.
 */
export function groundTruthOf(cloud: PointCloud): { instance?: Int32Array; classIds?: Int32Array; instanceField: string | null; classField: string | null } {
  const labels = cloud.labels ?? {};
  let instanceField = findKey(labels, INSTANCE_KEYS);
  let classField = findKey(labels, CLASS_KEYS);
  const generic = findKey(labels, GENERIC_KEYS);
  if (generic) {
    if (!instanceField) instanceField = generic;
    else if (!classField) classField = generic;
  }
  return {
    instance: instanceField ? labels[instanceField] : undefined,
    classIds: classField ? labels[classField] : undefined,
    instanceField,
    classField,
  };
}

function countInstances(instance: Int32Array | undefined): number {
  if (!instance) return 0;
  const seen = new Set<number>();
  for (let i = 0; i < instance.length; i++) if (instance[i] > 0) seen.add(instance[i]);
  return seen.size;
}

/** Class names from PLY header comments "classes 1=box 2=cylinder …" (empty for other files). */
export function classNamesFromComments(comments: string[]): ClassNames {
  const out: ClassNames = {};
  for (const c of comments) {
    const m = /^\s*classes\s+(.*)$/i.exec(c);
    if (!m) continue;
    for (const tok of m[1].trim().split(/\s+/)) {
      const kv = /^(-?\d+)=(.+)$/.exec(tok);
      if (kv) out[Number(kv[1])] = kv[2];
    }
  }
  return out;
}

function classNamesOfFile(bytes: Uint8Array, format: PointCloudFormat): ClassNames {
  if (format !== 'ply') return {};
  try {
    return classNamesFromComments(parsePlyHeader(bytes).comments);
  } catch {
    return {};
  }
}

function classesComment(names: ClassNames): string | null {
  const ids = Object.keys(names).map(Number).filter(Number.isInteger).sort((a, b) => a - b);
  if (ids.length === 0) return null;
  return `classes ${ids.map((id) => `${id}=${String(names[id]).replace(/\s+/g, '_')}`).join(' ')}`;
}

// ---------------------------------------------------------------------------------------------
// upload

/** Reads an uploaded point cloud; any failure is a typed error that names the file. */
export function readPointCloudUpload(bytes: Uint8Array, filename: string): { cloud: PointCloud; format: PointCloudFormat } {
  if (bytes.byteLength === 0) {
    throw new FormatError('the uploaded file is empty', { where: filename, hint: 'Choose a .ply, .pcd, .las/.laz or .xyz/.csv/.txt point cloud.' });
  }
  try {
    const format = detectPointCloudFormat(bytes, filename);
    const cloud = readPointCloud(bytes, filename);
    if (cloud.count === 0) {
      throw new FormatError('the point cloud has no points', { where: filename, hint: 'Upload a file with at least one point.' });
    }
    return { cloud, format };
  } catch (e) {
    if (isTesseraError(e)) throw e;
    throw new FormatError(`not a readable point cloud: ${e instanceof Error ? e.message : String(e)}`, {
      where: filename,
      hint: 'Upload a PLY, PCD, LAS/LAZ or XYZ/CSV/TXT point cloud.',
      cause: e,
    });
  }
}

export function pointCloudMeta(cloud: PointCloud, format: PointCloudFormat, classNames: ClassNames = {}): PointCloudMeta {
  let invalid = 0;
  if (cloud.valid) for (let i = 0; i < cloud.count; i++) if (!cloud.valid[i]) invalid++;
  const gt = groundTruthOf(cloud);
  return {
    format,
    points: cloud.count,
    fields: {
      colours: !!cloud.colors,
      normals: !!cloud.normals,
      intensity: !!cloud.intensity,
      labels: Object.keys(cloud.labels ?? {}),
    },
    bounds: { min: [...cloud.bounds.min] as Vec3, max: [...cloud.bounds.max] as Vec3 },
    organised: cloud.organized ? { width: cloud.organized.width, height: cloud.organized.height } : null,
    invalid,
    groundTruth: { instanceField: gt.instanceField, classField: gt.classField, instances: countInstances(gt.instance) },
    classNames,
  };
}

function displayName(filename: string): string {
  return filename.replace(/\.[a-z0-9]+$/i, '') || filename;
}

/**
 * Validates `bytes` as a point cloud (throws a typed error otherwise, storing nothing), then stores
 * the bytes unchanged and creates the Study (kind 'pointcloud') and its 'original' Asset in one
 * transaction. On any failure no Study, no Asset and no orphan blob remain.
 */
export async function createPointCloudStudyFromUpload(
  deps: ServiceDeps,
  bytes: Uint8Array,
  input: z.input<typeof UploadMeta>,
): Promise<{ studyId: string; assetId: string }> {
  const parsed = UploadMeta.safeParse(input);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new ArgumentError(i?.message ?? 'invalid upload', { where: `upload.${i?.path.join('.') ?? ''}`, hint: 'Send x-filename with the file name.' });
  }
  const { filename, name, modality } = parsed.data;
  const { cloud, format } = readPointCloudUpload(bytes, filename);
  const meta = pointCloudMeta(cloud, format, classNamesOfFile(bytes, format));

  const ref = await deps.blobs.put(bytes);
  try {
    const ids = await deps.db.$transaction(async (tx) => {
      const project = await ensureDefaultProject(tx);
      const study = await tx.study.create({
        data: { projectId: project.id, kind: 'pointcloud', name: name ?? displayName(filename), modality: modality ?? null, meta: meta as object },
        select: { id: true },
      });
      const asset = await tx.asset.create({
        data: { studyId: study.id, role: 'original', sha256: ref.sha256, bytes: BigInt(ref.bytes), filename, mediaType: 'application/octet-stream' },
        select: { id: true },
      });
      return { studyId: study.id, assetId: asset.id };
    });
    remember(ref.sha256, { cloud, format, classNames: meta.classNames });
    return ids;
  } catch (e) {
    await collectGarbageBlobs(deps, [ref.sha256]).catch(() => undefined);
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// reading a study back (small cache of parsed clouds keyed by content address)

interface Parsed {
  cloud: PointCloud;
  format: PointCloudFormat;
  classNames: ClassNames;
}

const CACHE_ENTRIES = 3;
const g = globalThis as unknown as { __tesseraPointClouds?: Map<string, Parsed> };
function cache(): Map<string, Parsed> {
  g.__tesseraPointClouds ??= new Map();
  return g.__tesseraPointClouds;
}
function remember(sha256: string, p: Parsed): void {
  const c = cache();
  c.delete(sha256);
  c.set(sha256, p);
  while (c.size > CACHE_ENTRIES) c.delete(c.keys().next().value as string);
}

async function parsedBlob(deps: ServiceDeps, asset: { sha256: string; filename: string }): Promise<Parsed> {
  const hit = cache().get(asset.sha256);
  if (hit) {
    remember(asset.sha256, hit);
    return hit;
  }
  const bytes = await deps.blobs.get(asset.sha256);
  const { cloud, format } = readPointCloudUpload(bytes, asset.filename);
  const p = { cloud, format, classNames: classNamesOfFile(bytes, format) };
  remember(asset.sha256, p);
  return p;
}

/** The study's cloud as read from its original file (study must be a point-cloud study). */
export async function loadStudyCloud(deps: ServiceDeps, studyId: string): Promise<Parsed & { studyName: string; filename: string }> {
  const study = await deps.db.study.findUnique({ where: { id: studyId }, select: { id: true, kind: true, name: true } });
  if (!study) throw notFound('study', studyId);
  if (study.kind !== 'pointcloud') {
    throw new ArgumentError(`study ${studyId} is a ${study.kind} study, not a point cloud`, { where: `study:${studyId}`, hint: 'Open it in the volume viewer.' });
  }
  const asset = await deps.db.asset.findFirst({ where: { studyId, role: 'original' }, orderBy: { createdAt: 'asc' } });
  if (!asset) throw notFound('original asset of study', studyId);
  return { ...(await parsedBlob(deps, asset)), studyName: study.name, filename: asset.filename };
}

// ---------------------------------------------------------------------------------------------
// which labels the viewer / downloads use

/** 'auto' = the latest succeeded Run with labels, else the file's own labels; 'file'; or a Run id. */
export const LabelSelector = z.union([z.literal('auto'), z.literal('file'), z.string().min(1).max(64)]);
export type LabelSelector = z.infer<typeof LabelSelector>;

export interface ResolvedLabels {
  source: 'none' | 'file' | 'run';
  runId: string | null;
  instance?: Int32Array;
  classIds?: Int32Array;
  classNames: ClassNames;
  /** Per-instance score (Run results), by instance id. */
  scores: Map<number, number>;
}

function classNamesFromParams(params: unknown): ClassNames {
  const p = (params && typeof params === 'object' ? params : {}) as { classNames?: unknown };
  const out: ClassNames = {};
  if (Array.isArray(p.classNames)) p.classNames.forEach((n, i) => { if (typeof n === 'string') out[i] = n; });
  else if (p.classNames && typeof p.classNames === 'object') {
    for (const [k, v] of Object.entries(p.classNames)) if (typeof v === 'string' && Number.isInteger(Number(k))) out[Number(k)] = v;
  }
  return out;
}

async function runLabels(deps: ServiceDeps, studyId: string, runId: string, count: number): Promise<ResolvedLabels> {
  const run = await deps.db.run.findUnique({ where: { id: runId }, select: { id: true, studyId: true, status: true, labelAssetId: true, params: true } });
  if (!run || run.studyId !== studyId) throw notFound('run', runId);
  const asset = run.labelAssetId ? await deps.db.asset.findUnique({ where: { id: run.labelAssetId } }) : null;
  if (run.status !== 'succeeded' || !asset) {
    throw new TesseraError('CONFLICT', `run ${runId} has no stored labels (status ${run.status})`, { where: `run:${runId}`, hint: 'Pick a succeeded run, or the file labels.' });
  }
  const { cloud } = await parsedBlob(deps, asset);
  const instance = cloud.labels?.instance;
  const classIds = cloud.labels?.class;
  if (!instance || !classIds || cloud.count !== count) {
    throw new FormatError(`the labels of run ${runId} do not match the study (${cloud.count} points, ${count} expected)`, {
      where: `run:${runId} labels`,
      hint: 'The stored labels are damaged; run the model again.',
    });
  }
  const rows = await deps.db.instance.findMany({ where: { runId }, select: { labelId: true, score: true } });
  const scores = new Map<number, number>();
  for (const r of rows) if (r.score !== null) scores.set(r.labelId, r.score);
  return { source: 'run', runId, instance, classIds, classNames: classNamesFromParams(run.params), scores };
}

export async function resolveLabels(deps: ServiceDeps, studyId: string, cloud: PointCloud, fileClassNames: ClassNames, selector: LabelSelector = 'auto'): Promise<ResolvedLabels> {
  const sel = LabelSelector.parse(selector);
  if (sel !== 'auto' && sel !== 'file') return runLabels(deps, studyId, sel, cloud.count);
  if (sel === 'auto') {
    const latest = await deps.db.run.findFirst({
      where: { studyId, status: 'succeeded', labelAssetId: { not: null } },
      orderBy: [{ finishedAt: 'desc' }, { createdAt: 'desc' }],
      select: { id: true },
    });
    if (latest) return runLabels(deps, studyId, latest.id, cloud.count);
  }
  const gt = groundTruthOf(cloud);
  if (!gt.instance && !gt.classIds) return { source: 'none', runId: null, classNames: fileClassNames, scores: new Map() };
  return { source: 'file', runId: null, instance: gt.instance, classIds: gt.classIds, classNames: fileClassNames, scores: new Map() };
}

// ---------------------------------------------------------------------------------------------
// instance tables

export interface PointInstanceRow {
  id: number;
  classId: number | null;
  className: string | null;
  score: number | null;
  points: number;
  centroid: Vec3;
  min: Vec3;
  max: Vec3;
  extent: Vec3;
}

export interface PointInstanceTable {
  studyId: string;
  source: ResolvedLabels['source'];
  runId: string | null;
  points: number;
  classNames: ClassNames;
  instances: PointInstanceRow[];
}

export function className(names: ClassNames, id: number | null): string | null {
  if (id === null) return null;
  return names[id] ?? `class ${id}`;
}

function toRows(stats: PointInstanceStats[], labels: ResolvedLabels): PointInstanceRow[] {
  return stats.map((s) => ({ ...s, className: className(labels.classNames, s.classId), score: labels.scores.get(s.id) ?? null }));
}

/** Everything the viewer and the downloads need: the cloud, the chosen labels and the instance rows. */
export async function pointCloudView(deps: ServiceDeps, studyId: string, selector: LabelSelector = 'auto') {
  const loaded = await loadStudyCloud(deps, studyId);
  const labels = await resolveLabels(deps, studyId, loaded.cloud, loaded.classNames, selector);
  const stats = labels.instance ? pointInstanceStats(loaded.cloud.positions, labels.instance, labels.classIds) : [];
  const table: PointInstanceTable = {
    studyId, source: labels.source, runId: labels.runId, points: loaded.cloud.count, classNames: labels.classNames, instances: toRows(stats, labels),
  };
  return { ...loaded, labels, table };
}

const CSV_COLUMNS = [
  'instance_id', 'class_id', 'class_name', 'score', 'points',
  'centroid_x', 'centroid_y', 'centroid_z', 'min_x', 'min_y', 'min_z', 'max_x', 'max_y', 'max_z', 'extent_x', 'extent_y', 'extent_z',
] as const;

function csvCell(v: string | number | null): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV with a header row: instance_id,class_id,class_name,score,points,centroid_x,…,extent_z. */
export function pointInstancesToCsv(rows: PointInstanceRow[]): string {
  const lines: string[] = [CSV_COLUMNS.join(',')];
  for (const r of rows) {
    lines.push([r.id, r.classId, r.className, r.score, r.points, ...r.centroid, ...r.min, ...r.max, ...r.extent].map(csvCell).join(','));
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The study's points as PLY with per-point `instance` and `class` in the input's point order (0 where
 * the chosen labels have none), colours / normals / intensity kept, class names in a
 * "classes 1=box …" comment.
 */
export async function labelledPly(deps: ServiceDeps, studyId: string, selector: LabelSelector = 'auto'): Promise<{ bytes: Uint8Array; filename: string; source: ResolvedLabels['source']; runId: string | null }> {
  const v = await pointCloudView(deps, studyId, selector);
  const n = v.cloud.count;
  const comments = [v.labels.source === 'run' ? `labels of run ${v.labels.runId}` : `labels from the file (${v.labels.source})`];
  const cc = classesComment(v.labels.classNames);
  if (cc) comments.push(cc);
  const bytes = writePly(v.cloud, {
    instance: v.labels.instance ?? new Int32Array(n),
    classId: v.labels.classIds ?? new Int32Array(n),
    comments,
  });
  return { bytes, filename: `${displayName(v.filename)}_labeled.ply`, source: v.labels.source, runId: v.labels.runId };
}

// ---------------------------------------------------------------------------------------------
// runs

export const PointCloudRunInput = z.object({
  studyId: z.string().min(1).max(64),
  pipeline: z.string().min(1).max(64).default('pointnet2-instances'),
  version: z.string().min(1).max(32).default('1'),
  location: z.enum(['browser', 'server']).default('server'),
  runner: z.enum(['tessera', 'onnxruntime-node', 'onnxruntime-web']).default('tessera'),
  device: z.enum(['webgpu', 'cpu']).default('cpu'),
  adapter: z.string().max(300).nullable().default(null),
  params: z.record(z.string(), z.unknown()).default({}),
});

/** Creates a 'running' Run on a point-cloud study (for a point-cloud model job to fill in). */
export async function createPointCloudRun(deps: ServiceDeps, input: z.input<typeof PointCloudRunInput>): Promise<{ runId: string }> {
  const p = PointCloudRunInput.parse(input);
  await loadStudyCloud(deps, p.studyId); // NOT_FOUND / wrong kind before any Run exists
  const run = await deps.db.run.create({
    data: {
      studyId: p.studyId, pipeline: p.pipeline, version: p.version, params: p.params as object, location: p.location, runner: p.runner,
      device: p.device, adapter: p.adapter, status: 'running', stage: 'running', progress: 0, startedAt: new Date(),
    },
    select: { id: true },
  });
  return { runId: run.id };
}

export interface PointCloudRunResult {
  /** Per point, in the study's point order: instance id (≤ 0 = no instance). */
  instance: Int32Array;
  /** Per point: class id. */
  classIds: Int32Array;
  /** Class id → name (array index or record key). */
  classNames: string[] | ClassNames;
  /** Per-instance score by instance id (array index or record key). */
  scores?: ArrayLike<number> | Record<number, number>;
  device?: 'webgpu' | 'cpu';
  adapter?: string | null;
  timings?: Record<string, number>;
}

function namesRecord(n: string[] | ClassNames): ClassNames {
  const out: ClassNames = {};
  if (Array.isArray(n)) n.forEach((s, i) => { out[i] = String(s); });
  else for (const [k, v] of Object.entries(n)) out[Number(k)] = String(v);
  return out;
}

/**
 * Stores a point-cloud Run's result: checks it against the study (one instance and one class id per
 * point), writes the labelled PLY as the Run's 'labels' Asset, one Instance row per instance (with
 * its score), and marks the Run succeeded — all or nothing (a failure leaves no Asset, no Instance
 * and no orphan blob, and the Run as it was). CONFLICT when the Run already has a result.
 */
export async function storePointCloudRunResult(deps: ServiceDeps, runId: string, result: PointCloudRunResult): Promise<{ instanceCount: number; labelAssetId: string }> {
  const t0 = performance.now();
  const run = await deps.db.run.findUnique({ where: { id: runId }, select: { id: true, studyId: true, labelAssetId: true, params: true } });
  if (!run) throw notFound('run', runId);
  if (run.labelAssetId) throw new TesseraError('CONFLICT', `run ${runId} already has a result`, { where: `run:${runId}`, hint: 'Create a new Run for a new result.' });
  const loaded = await loadStudyCloud(deps, run.studyId);
  const n = loaded.cloud.count;
  const where = `storePointCloudRunResult(${runId})`;
  if (!(result.instance instanceof Int32Array) || !(result.classIds instanceof Int32Array)) {
    throw new ArgumentError('instance and classIds must be Int32Arrays', { where, hint: 'Pass one Int32 per point, in the study\'s point order.' });
  }
  if (result.instance.length !== n || result.classIds.length !== n) {
    throw new ShapeError(`labels for ${result.instance.length} / ${result.classIds.length} points, the study has ${n}`, {
      where, hint: 'Pass one instance id and one class id per point of the study, in its point order.',
    });
  }
  const names = namesRecord(result.classNames ?? {});
  const scores = result.scores ?? {};
  const scoreOf = (id: number): number | null => {
    const s = (scores as Record<number, number>)[id];
    return typeof s === 'number' && Number.isFinite(s) ? s : null;
  };
  const stats = pointInstanceStats(loaded.cloud.positions, result.instance, result.classIds);
  const comments = [`labels of run ${runId}`];
  const cc = classesComment(names);
  if (cc) comments.push(cc);
  const bytes = writePly(loaded.cloud, { instance: result.instance, classId: result.classIds, comments });
  const ref = await deps.blobs.put(bytes);
  try {
    const labelAssetId = await deps.db.$transaction(async (tx) => {
      const asset = await tx.asset.create({
        data: { runId, role: 'labels', sha256: ref.sha256, bytes: BigInt(ref.bytes), filename: `${displayName(loaded.filename)}_labels.ply`, mediaType: 'application/octet-stream' },
        select: { id: true },
      });
      if (stats.length > 0) {
        await tx.instance.createMany({
          data: stats.map((s) => ({
            runId,
            labelId: s.id,
            className: className(names, s.classId) ?? 'object',
            score: scoreOf(s.id),
            voxels: s.points,
            volume: s.extent[0] * s.extent[1] * s.extent[2],
            centroidX: s.centroid[0], centroidY: s.centroid[1], centroidZ: s.centroid[2],
            worldX: s.centroid[0], worldY: s.centroid[1], worldZ: s.centroid[2],
            bboxMinX: Math.floor(s.min[0]), bboxMinY: Math.floor(s.min[1]), bboxMinZ: Math.floor(s.min[2]),
            bboxMaxX: Math.ceil(s.max[0]), bboxMaxY: Math.ceil(s.max[1]), bboxMaxZ: Math.ceil(s.max[2]),
          })),
        });
      }
      const params = { ...((run.params as object | null) ?? {}), classNames: names };
      await tx.run.update({
        where: { id: runId },
        data: {
          status: 'succeeded', stage: 'done', progress: 1, error: null,
          ...(result.device ? { device: result.device } : {}),
          ...(result.adapter !== undefined ? { adapter: result.adapter } : {}),
          timings: { ...(result.timings ?? {}), saveMs: performance.now() - t0 },
          params: JSON.parse(JSON.stringify(params)) as object,
          instanceCount: stats.length,
          labelAssetId: asset.id,
          finishedAt: new Date(),
        },
      });
      return asset.id;
    });
    return { instanceCount: stats.length, labelAssetId };
  } catch (e) {
    await collectGarbageBlobs(deps, [ref.sha256]).catch(() => undefined);
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// route helpers

/** `?labels=auto|file|<runId>` of a request URL (default auto); a malformed value is a typed 400. */
export function labelSelectorOf(req: Request): LabelSelector {
  const raw = new URL(req.url).searchParams.get('labels');
  if (raw === null || raw === '') return 'auto';
  const parsed = LabelSelector.safeParse(raw);
  if (!parsed.success) {
    throw new ArgumentError(`bad labels parameter "${raw.slice(0, 80)}"`, { where: 'labels', hint: 'Use labels=auto, labels=file or labels=<run id>.' });
  }
  return parsed.data;
}

/** The `x-tessera-labels` response header: "none" | "file" | "run:<id>". */
export function labelsHeader(l: Pick<ResolvedLabels, 'source' | 'runId'>): string {
  return l.source === 'run' ? `run:${l.runId}` : l.source;
}
