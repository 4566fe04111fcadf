/** Helpers for the binary route handlers (upload/download): typed errors → JSON, size-limited bodies. */
import { Readable } from 'node:stream';
import { TRPCError } from '@trpc/server';
import { TesseraError, isTesseraError } from '@/lib/errors';
import type { BlobStore } from '../blob/types';
import { httpStatusFor } from './error-map';

export class PayloadTooLargeError extends TesseraError {
  constructor(limitBytes: number) {
    super('INVALID_ARGUMENT', `the upload exceeds the ${Math.round(limitBytes / 2 ** 20)} MiB limit`, {
      where: 'body',
      hint: 'Raise TESSERA_MAX_UPLOAD_MB or upload a smaller (e.g. gzipped) file.',
    });
  }
}

export function errorBody(e: TesseraError) {
  return { error: { code: e.code, message: e.message, where: e.where ?? null, hint: e.hint ?? null } };
}

export function errorResponse(e: unknown): Response {
  if (e instanceof PayloadTooLargeError) return Response.json(errorBody(e), { status: 413 });
  if (isTesseraError(e)) return Response.json(errorBody(e), { status: httpStatusFor(e.code) });
  if (e instanceof TRPCError && e.code === 'UNAUTHORIZED') {
    return Response.json(errorBody(new TesseraError('UNAUTHORIZED', e.message, { where: 'Authorization' })), { status: 401 });
  }
  console.error('[tessera] route error', e);
  return Response.json({ error: { code: 'INTERNAL', message: 'internal server error', where: null, hint: null } }, { status: 500 });
}

/** Reads the whole body, failing fast (413) past `limitBytes` (Content-Length or streamed count). */
export async function readBodyLimited(req: Request, limitBytes: number): Promise<Uint8Array> {
  const declared = Number(req.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > limitBytes) throw new PayloadTooLargeError(limitBytes);
  if (!req.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = req.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limitBytes) {
      await reader.cancel().catch(() => undefined);
      throw new PayloadTooLargeError(limitBytes);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.byteLength;
  }
  return out;
}

/** RFC 6266 attachment header with an ASCII fallback and the UTF-8 name. */
export function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

/** Streams a blob as the response body. */
export async function blobResponse(
  blobs: BlobStore,
  asset: { sha256: string; bytes: bigint | number; filename: string; mediaType: string },
): Promise<Response> {
  const stream = await blobs.createReadStream(asset.sha256);
  return new Response(Readable.toWeb(stream) as ReadableStream<Uint8Array>, {
    status: 200,
    headers: {
      'content-type': asset.mediaType,
      'content-length': String(asset.bytes),
      'content-disposition': contentDisposition(asset.filename),
      'cache-control': 'private, max-age=31536000, immutable',
      etag: `"${asset.sha256}"`,
    },
  });
}
