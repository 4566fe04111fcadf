/**
 * POST /api/models — register an ONNX model (multipart/form-data):
 *   model  the .onnx file
 *   card   the model card as a JSON string (lib/model/card.ts); its sha256, if given, must match
 * → 201 { id, sha256, unsupportedOps } (unsupportedOps: ops the tessera engine lacks; [] = runs on
 * it, else the model runs on onnxruntime). Errors { error: { code, message, where, hint } }:
 * 400 bad card / channels / classes / sha256, 400/415 not ONNX, 409 name + version taken,
 * 413 over TESSERA_MAX_MODEL_MB (default 200). Nothing is stored on failure.
 */
import { ArgumentError } from '@/lib/errors';
import { PayloadTooLargeError, errorResponse } from '@/server/api/http';
import { routeContext } from '@/server/api/request';
import { modelMaxBytes, registerModel } from '@/server/services/models';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** Multipart overhead allowed on top of the model size (card JSON, boundaries). */
const FORM_SLACK = 4 * 2 ** 20;

async function readForm(req: Request, limitBytes: number): Promise<{ model: Uint8Array; card: string }> {
  const declared = Number(req.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > limitBytes + FORM_SLACK) throw new PayloadTooLargeError(limitBytes);
  let form: FormData;
  try {
    form = await req.formData();
  } catch (e) {
    throw new ArgumentError(`the body is not multipart/form-data: ${e instanceof Error ? e.message : String(e)}`, {
      where: 'body',
      hint: 'Send a FormData with a "model" file (.onnx) and a "card" JSON field.',
    });
  }
  const file = form.get('model');
  if (!file || typeof file === 'string') {
    throw new ArgumentError('missing the model file (multipart field "model")', { where: 'model', hint: 'Attach the .onnx file as "model".' });
  }
  if (file.size > limitBytes) throw new PayloadTooLargeError(limitBytes);
  const card = form.get('card');
  if (card === null) throw new ArgumentError('missing the model card (multipart field "card")', { where: 'card', hint: 'Send the card as a JSON string in "card".' });
  return { model: new Uint8Array(await file.arrayBuffer()), card: typeof card === 'string' ? card : await card.text() };
}

export async function POST(req: Request): Promise<Response> {
  try {
    const ctx = await routeContext(req);
    const limit = modelMaxBytes();
    const { model, card } = await readForm(req, limit);
    const out = await registerModel(ctx, model, card, { maxBytes: limit });
    return Response.json(out, { status: 201 });
  } catch (e) {
    return errorResponse(e);
  }
}
