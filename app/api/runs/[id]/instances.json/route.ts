/** GET /api/runs/:id/instances.json — the same rows as instances.list / instances.csv. */
import { contentDisposition, errorResponse } from '@/server/api/http';
import { routeContext } from '@/server/api/request';
import { listInstances } from '@/server/services/instances';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export async function GET(req: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  try {
    const ctx = await routeContext(req);
    const { id } = await params;
    const rows = await listInstances(ctx, id);
    return Response.json(
      { runId: id, instances: rows },
      { headers: { 'content-disposition': contentDisposition(`run_${id}_instances.json`) } },
    );
  } catch (e) {
    return errorResponse(e);
  }
}
