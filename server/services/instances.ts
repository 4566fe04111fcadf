import { z } from 'zod';
import { Review } from '../db/enums';
import type { ServiceDeps } from './deps';
import { notFound } from './errors';
import { toInstanceRow, type InstanceRow } from './serialize';

export async function listInstances(deps: ServiceDeps, runId: string): Promise<InstanceRow[]> {
  const run = await deps.db.run.findUnique({ where: { id: runId }, select: { id: true } });
  if (!run) throw notFound('run', runId);
  const rows = await deps.db.instance.findMany({ where: { runId }, orderBy: { labelId: 'asc' } });
  return rows.map(toInstanceRow);
}

export const SetReviewInput = z.object({ id: z.string().min(1), review: Review });

export async function setReview(deps: ServiceDeps, input: z.infer<typeof SetReviewInput>): Promise<InstanceRow> {
  const { id, review } = SetReviewInput.parse(input);
  const found = await deps.db.instance.findUnique({ where: { id }, select: { id: true } });
  if (!found) throw notFound('instance', id);
  return toInstanceRow(await deps.db.instance.update({ where: { id }, data: { review } }));
}

const CSV_COLUMNS = [
  'label_id', 'class_name', 'score', 'voxels', 'volume',
  'centroid_x', 'centroid_y', 'centroid_z', 'world_x', 'world_y', 'world_z',
  'bbox_min_x', 'bbox_min_y', 'bbox_min_z', 'bbox_max_x', 'bbox_max_y', 'bbox_max_z', 'review',
] as const;

function csvCell(v: string | number | null): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV with a header row (label_id,class_name,score,voxels,volume,centroid_x,…). */
export function instancesToCsv(rows: InstanceRow[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of rows) {
    lines.push(
      [
        r.labelId, r.className, r.score, r.voxels, r.volume, ...r.centroid, ...r.centroidWorld, ...r.bboxMin, ...r.bboxMax, r.review,
      ]
        .map(csvCell)
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}
