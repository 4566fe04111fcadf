/**
 * GET /api/studies/:id/instances.csv[?labels=auto|file|<runId>] — a point-cloud study's instance table,
 * header instance_id,class_id,class_name,score,points,centroid_x,…,min_x,…,max_x,…,extent_z.
 */
import { contentDisposition, errorResponse } from '@/server/api/http';
import { routeContext } from '@/server/api/request';
import { pointCloudView, pointInstancesToCsv, labelSelectorOf, labelsHeader } from '@/server/services/pointclouds';


export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export async function GET(req: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  try {
    const ctx = await routeContext(req);
    const { id } = await params;
    const v = await pointCloudView(ctx, id, labelSelectorOf(req));
    return new Response(pointInstancesToCsv(v.table.instances), {
      headers: {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': contentDisposition(`study_${id}_instances.csv`),
        'cache-control': 'no-store',
        'x-tessera-labels': labelsHeader(v.labels),
      },
    });
  } catch (e) {
    return errorResponse(e);
  }
}
