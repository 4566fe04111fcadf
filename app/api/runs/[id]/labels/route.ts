/** GET /api/runs/:id/labels — the run's label NIfTI (.nii.gz). */
import { blobResponse, errorResponse } from '@/server/api/http';
import { routeContext } from '@/server/api/request';
import { getLabelAsset } from '@/server/services/runs';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export async function GET(req: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  try {
    const ctx = await routeContext(req);
    const { id } = await params;
    return await blobResponse(ctx.blobs, await getLabelAsset(ctx, id));
  } catch (e) {
    return errorResponse(e);
  }
}
