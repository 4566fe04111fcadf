/**
 * GET /api/studies/:id/labeled.ply[?labels=auto|file|<runId>] — the study's points as binary PLY with
 * per-point `int instance` and `int class` in the input's point order (colours, normals, intensity
 * kept; class names in a "classes 1=box …" comment). Labels chosen as for /points.
 */
import { contentDisposition } from '@/server/api/http';
import { idRoute } from '@/app/api/_lib/id-route';
import { labelledPly, labelSelectorOf, labelsHeader } from '@/server/services/pointclouds';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = idRoute(async (ctx, id, req) => {
  const ply = await labelledPly(ctx, id, labelSelectorOf(req));
  return new Response(ply.bytes as Uint8Array<ArrayBuffer>, {
    headers: {
      'content-type': 'application/octet-stream',
      'content-length': String(ply.bytes.byteLength),
      'content-disposition': contentDisposition(ply.filename),
      'cache-control': 'no-store',
      'x-tessera-labels': labelsHeader(ply),
    },
  });
});
