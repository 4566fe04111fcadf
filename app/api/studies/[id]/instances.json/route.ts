/**
 * GET /api/studies/:id/instances.json[?labels=auto|file|<runId>] — a point-cloud study's instance
 * table: { studyId, source: 'none'|'file'|'run', runId, points, classNames, instances: [{ id, classId,
 * className, score, points, centroid, min, max, extent }] } (coordinates in the file's units).
 */
import { contentDisposition } from '@/server/api/http';
import { pointCloudRoute } from '@/app/api/_lib/pointcloud-route';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = pointCloudRoute((v, id) => ({
  body: JSON.stringify(v.table),
  headers: { 'content-type': 'application/json', 'content-disposition': contentDisposition(`study_${id}_instances.json`) },
}));
