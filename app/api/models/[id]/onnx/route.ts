/**
 * GET /api/models/:id/onnx — the registered ONNX bytes (application/octet-stream), ETag = the
 * quoted sha256 (If-None-Match → 304). 404 unknown model.
 */
import { blobResponse } from '@/server/api/http';
import { getModel } from '@/server/services/models';
import { idRoute } from '@/app/api/_lib/id-route';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = idRoute(async (ctx, id, req) => {
  const model = await getModel(ctx, id);
  const etag = `"${model.sha256}"`;
  const inm = req.headers.get('if-none-match');
  if (inm && inm.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) {
    return new Response(null, { status: 304, headers: { etag, 'cache-control': 'private, max-age=31536000, immutable' } });
  }
  const safe = `${model.name}-${model.version}`.replace(/[^\w.-]+/g, '_');
  return blobResponse(ctx.blobs, { sha256: model.sha256, bytes: model.bytes, filename: `${safe}.onnx`, mediaType: 'application/octet-stream' });
});
