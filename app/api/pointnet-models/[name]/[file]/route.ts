/**
 * GET /api/pointnet-models/:name/:file — the committed PointNet++ model the browser runs:
 * `models/<name>/card.json` and the weights file its card names (nothing else; `name` from an
 * allowlist, server/services/pointcloud-runs.ts `pointNetModelFile`). ETag = the quoted sha256 of
 * the bytes (If-None-Match → 304). The weights are cached as immutable when the request names
 * their sha256 (`?sha256=<hex>`, the URL pointclouds.model gives); otherwise, and for the card,
 * the browser revalidates. A `?sha256=` that differs from the file's → 409. 404 anything else.
 */
import { TesseraError } from '@/lib/errors';
import { errorResponse } from '@/server/api/http';
import { pointNetModelFile } from '@/server/services/pointcloud-runs';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export async function GET(req: Request, { params }: { params: Promise<{ name: string; file: string }> }): Promise<Response> {
  try {
    const { name, file } = await params;
    const f = await pointNetModelFile(name, file);
    const want = new URL(req.url).searchParams.get('sha256');
    if (want !== null && want !== f.sha256) {
      throw new TesseraError('CONFLICT', `${file} has sha256 ${f.sha256}, the request asked for ${want.slice(0, 64)}`, { where: 'sha256', hint: 'Reload the page: the model was updated.' });
    }
    const etag = `"${f.sha256}"`;
    const cacheControl = want !== null ? 'public, max-age=31536000, immutable' : 'no-cache';
    const inm = req.headers.get('if-none-match');
    if (inm && inm.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) {
      return new Response(null, { status: 304, headers: { etag, 'cache-control': cacheControl } });
    }
    return new Response(f.bytes as BodyInit, {
      headers: { 'content-type': f.contentType, 'content-length': String(f.bytes.byteLength), etag, 'cache-control': cacheControl, 'x-content-sha256': f.sha256 },
    });
  } catch (e) {
    return errorResponse(e);
  }
}
