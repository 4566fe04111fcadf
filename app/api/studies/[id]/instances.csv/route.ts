/**
 * GET /api/studies/:id/instances.csv[?labels=auto|file|<runId>] — a point-cloud study's instance table,
 * header instance_id,class_id,class_name,score,points,centroid_x,…,min_x,…,max_x,…,extent_z.
 */
import { contentDisposition } from '@/server/api/http';
import { pointCloudRoute } from '@/app/api/_lib/pointcloud-route';
import { pointInstancesToCsv } from '@/server/services/pointclouds';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = pointCloudRoute((v, id) => ({
  body: pointInstancesToCsv(v.table.instances),
  headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': contentDisposition(`study_${id}_instances.csv`) },
}));
