/**
 * GET /api/studies/:id/labeled.ply[?labels=auto|file|<runId>] — the study's points as binary PLY with
 * per-point `int instance` and `int class` in the input's point order (colours, normals, intensity
 * kept; class names in a "classes 1=box …" comment). Labels chosen as for /points.
 */
import { contentDisposition, errorResponse } from '@/server/api/http';
import { routeContext } from '@/server/api/request';
import { labelledPly, labelSelectorOf, labelsHeader } from '@/server/services/pointclouds';


export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export async function GET(req: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  try {
    const ctx = await routeContext(req);
    const { id } = await params;
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
  } catch (e) {
    return errorResponse(e);
  }
}
