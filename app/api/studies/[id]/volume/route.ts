/** GET /api/studies/:id/volume — the original uploaded bytes, with the original extension. */
import { blobResponse, errorResponse } from '@/server/api/http';
import { routeContext } from '@/server/api/request';
import { getOriginalAsset } from '@/server/services/studies';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export async function GET(req: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  try {
    const ctx = await routeContext(req);
    const { id } = await params;
    return await blobResponse(ctx.blobs, await getOriginalAsset(ctx, id));
  } catch (e) {
    return errorResponse(e);
  }
}
