/** GET /api/runs/:id/instances.csv — one row per instance, header label_id,class_name,score,voxels,volume,centroid_x,… */
import { contentDisposition } from '@/server/api/http';
import { instancesToCsv, listInstances } from '@/server/services/instances';
import { idRoute } from '@/app/api/_lib/id-route';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = idRoute(async (ctx, id) => {
  const csv = instancesToCsv(await listInstances(ctx, id));
  return new Response(csv, {
    headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': contentDisposition(`run_${id}_instances.csv`) },
  });
});
