/**
 * GET /api/studies/:id/instances.json[?labels=auto|file|<runId>] — a point-cloud study's instance
 * table: { studyId, source: 'none'|'file'|'run', runId, points, classNames, instances: [{ id, classId,
 * className, score, points, centroid, min, max, extent }] } (coordinates in the file's units).
 */
import { contentDisposition, errorResponse } from '@/server/api/http';
import { routeContext } from '@/server/api/request';
import { pointCloudView, labelSelectorOf, labelsHeader } from '@/server/services/pointclouds';


export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export async function GET(req: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  try {
    const ctx = await routeContext(req);
    const { id } = await params;
    const v = await pointCloudView(ctx, id, labelSelectorOf(req));
    return Response.json(v.table, {
      headers: {
        'content-disposition': contentDisposition(`study_${id}_instances.json`),
        'cache-control': 'no-store',
        'x-tessera-labels': labelsHeader(v.labels),
      },
    });
  } catch (e) {
    return errorResponse(e);
  }
}
