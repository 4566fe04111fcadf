/**
 * Database rows → the JSON shapes of the Server API (docs/CONTRACTS.md). Dates become ISO strings
 * and BigInt sizes numbers, so tRPC (no transformer) sends exactly what the types say.
 */
import type { Vec3 } from '@/lib/volume';
import type { Review, RunStatus, StudyKind } from '../db/enums';

type Json = unknown;

export interface AssetSummary {
  id: string;
  role: string;
  filename: string;
  mediaType: string;
  bytes: number;
  sha256: string;
  studyId: string | null;
  runId: string | null;
  createdAt: string;
}

export interface RunSummary {
  id: string;
  studyId: string;
  pipeline: string;
  version: string;
  /** The registered model a model run used (null for the classical pipeline, or once the model was deleted). */
  modelId: string | null;
  /** The model's version at the time of the run (kept when the model is deleted); null for the classical pipeline. */
  modelVersion: string | null;
  params: Record<string, unknown>;
  location: string;
  runner: string;
  device: string;
  adapter: string | null;
  status: RunStatus;
  stage: string | null;
  progress: number;
  timings: Record<string, number> | null;
  error: string | null;
  instanceCount: number | null;
  labelAssetId: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface StudyMeta {
  shape?: Vec3;
  spacing?: Vec3;
  datatype?: string;
  orientation?: string;
  units?: string | null;
  [k: string]: unknown;
}

export interface StudySummary {
  id: string;
  name: string;
  kind: StudyKind;
  modality: string | null;
  createdAt: string;
  updatedAt: string;
  meta: StudyMeta;
  runs: RunSummary[];
}

export interface StudyDetail extends StudySummary {
  assets: AssetSummary[];
}

export interface InstanceRow {
  id: string;
  labelId: number;
  className: string;
  score: number | null;
  voxels: number;
  volume: number;
  centroid: Vec3;
  centroidWorld: Vec3;
  bboxMin: Vec3;
  bboxMax: Vec3;
  review: Review;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);
const obj = (j: Json): Record<string, unknown> => (j && typeof j === 'object' && !Array.isArray(j) ? (j as Record<string, unknown>) : {});

export function toAssetSummary(a: {
  id: string; role: string; filename: string; mediaType: string; bytes: bigint | number; sha256: string;
  studyId: string | null; runId: string | null; createdAt: Date;
}): AssetSummary {
  return {
    id: a.id, role: a.role, filename: a.filename, mediaType: a.mediaType, bytes: Number(a.bytes), sha256: a.sha256,
    studyId: a.studyId, runId: a.runId, createdAt: a.createdAt.toISOString(),
  };
}

export function toRunSummary(r: {
  id: string; studyId: string; pipeline: string; version: string; modelId?: string | null; modelVersion?: string | null;
  params: Json; location: string; runner: string; device: string; adapter: string | null; status: string; stage: string | null; progress: number; timings: Json;
  error: string | null; instanceCount: number | null; labelAssetId: string | null; createdAt: Date;
  startedAt: Date | null; finishedAt: Date | null;
}): RunSummary {
  return {
    id: r.id, studyId: r.studyId, pipeline: r.pipeline, version: r.version, modelId: r.modelId ?? null,
    modelVersion: r.modelVersion ?? null, params: obj(r.params), location: r.location,
    runner: r.runner, device: r.device, adapter: r.adapter, status: r.status as RunStatus, stage: r.stage,
    progress: r.progress, timings: r.timings == null ? null : (obj(r.timings) as Record<string, number>), error: r.error,
    instanceCount: r.instanceCount, labelAssetId: r.labelAssetId, createdAt: r.createdAt.toISOString(),
    startedAt: iso(r.startedAt), finishedAt: iso(r.finishedAt),
  };
}

export function toStudySummary(s: {
  id: string; name: string; kind: string; modality: string | null; createdAt: Date; updatedAt: Date; meta: Json;
  runs: Parameters<typeof toRunSummary>[0][];
}): StudySummary {
  return {
    id: s.id, name: s.name, kind: s.kind as StudyKind, modality: s.modality, createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(), meta: obj(s.meta) as StudyMeta, runs: s.runs.map(toRunSummary),
  };
}

export function toInstanceRow(i: {
  id: string; labelId: number; className: string; score: number | null; voxels: number; volume: number;
  centroidX: number; centroidY: number; centroidZ: number; worldX: number; worldY: number; worldZ: number;
  bboxMinX: number; bboxMinY: number; bboxMinZ: number; bboxMaxX: number; bboxMaxY: number; bboxMaxZ: number; review: string;
}): InstanceRow {
  return {
    id: i.id, labelId: i.labelId, className: i.className, score: i.score, voxels: i.voxels, volume: i.volume,
    centroid: [i.centroidX, i.centroidY, i.centroidZ], centroidWorld: [i.worldX, i.worldY, i.worldZ],
    bboxMin: [i.bboxMinX, i.bboxMinY, i.bboxMinZ], bboxMax: [i.bboxMaxX, i.bboxMaxY, i.bboxMaxZ], review: i.review as Review,
  };
}
