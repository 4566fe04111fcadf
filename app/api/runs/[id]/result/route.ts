/**
 * POST /api/runs/:id/result — the result of a browser run (multipart/form-data):
 *   labels  the label NIfTI the page wrote with writeLabelNifti (file)
 *   result  JSON { device: 'webgpu'|'cpu', adapter, instances, timings, threshold, seedCount, resolved }
 * → 200 { runId, instanceCount }. The server re-reads the labels and checks them against the
 * instances (server/services/browser-runs.ts); a bad result → 400 and the Run failed with the reason,
 * nothing stored. 404 unknown run, 409 not a running browser run, 413 too large.
 * Model runs (runs.createBrowserModelRun): labels = the CLASS label NIfTI on the study grid, result
 * = JSON { runner, device, adapter, delegated, peakBytes, tiles, ms, params }; the server checks the
 * grid and the class ids against the card and computes the instances itself
 * (server/services/model-runs.ts).
 */
import { ArgumentError } from '@/lib/errors';
import { getEnv } from '@/server/env';
import { PayloadTooLargeError } from '@/server/api/http';
import { submitBrowserResult } from '@/server/services/browser-runs';
import { idRoute } from '@/app/api/_lib/id-route';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

async function readBody(req: Request, limitBytes: number): Promise<{ labels: Uint8Array | null; result: unknown } | Error> {
  const declared = Number(req.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > limitBytes) return new PayloadTooLargeError(limitBytes);
  let form: FormData;
  try {
    form = await req.formData();
  } catch (e) {
    return new ArgumentError(`the body is not multipart/form-data: ${e instanceof Error ? e.message : String(e)}`, {
      where: 'body',
      hint: 'Send a FormData with a "labels" file and a "result" JSON field.',
    });
  }
  const file = form.get('labels');
  const labels = file && typeof file !== 'string' ? new Uint8Array(await file.arrayBuffer()) : null;
  if (labels && labels.byteLength > limitBytes) return new PayloadTooLargeError(limitBytes);
  const result = form.get('result');
  return { labels, result: typeof result === 'string' ? result : result ? await result.text() : null };
}

export const POST = idRoute(async (ctx, id, req) => {
  const body = await readBody(req, getEnv().TESSERA_MAX_UPLOAD_MB * 2 ** 20);
  return Response.json(await submitBrowserResult(ctx, id, body));
});
