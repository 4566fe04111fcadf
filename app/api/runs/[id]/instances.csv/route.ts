/** GET /api/runs/:id/instances.csv — one row per instance, header label_id,class_name,score,voxels,volume,centroid_x,… */
import { contentDisposition, errorResponse } from '@/server/api/http';
import { routeContext } from '@/server/api/request';
import { instancesToCsv, listInstances } from '@/server/services/instances';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export async function GET(req: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  try {
    const ctx = await routeContext(req);
    const { id } = await params;
    const csv = instancesToCsv(await listInstances(ctx, id));
    return new Response(csv, {
      headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': contentDisposition(`run_${id}_instances.csv`) },
    });
  } catch (e) {
    return errorResponse(e);
  }
}
