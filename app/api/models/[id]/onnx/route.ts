/**
 * GET /api/models/:id/onnx — the registered ONNX bytes (application/octet-stream), ETag = the
 * quoted sha256 (If-None-Match → 304). 404 unknown model.
 */
import { blobResponse, errorResponse } from '@/server/api/http';
import { routeContext } from '@/server/api/request';
import { getModel } from '@/server/services/models';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export async function GET(req: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  try {
    const ctx = await routeContext(req);
    const { id } = await params;
    const model = await getModel(ctx, id);
    const etag = `"${model.sha256}"`;
    const inm = req.headers.get('if-none-match');
    if (inm && inm.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) {
      return new Response(null, { status: 304, headers: { etag, 'cache-control': 'private, max-age=31536000, immutable' } });
    }
    const safe = `${model.name}-${model.version}`.replace(/[^\w.-]+/g, '_');
    return await blobResponse(ctx.blobs, { sha256: model.sha256, bytes: model.bytes, filename: `${safe}.onnx`, mediaType: 'application/octet-stream' });
  } catch (e) {
    return errorResponse(e);
  }
}
