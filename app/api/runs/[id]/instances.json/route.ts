/** GET /api/runs/:id/instances.json — the same rows as instances.list / instances.csv. */
import { contentDisposition } from '@/server/api/http';
import { listInstances } from '@/server/services/instances';
import { idRoute } from '@/app/api/_lib/id-route';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = idRoute(async (ctx, id) => {
  const rows = await listInstances(ctx, id);
  return Response.json({ runId: id, instances: rows }, { headers: { 'content-disposition': contentDisposition(`run_${id}_instances.json`) } });
});
