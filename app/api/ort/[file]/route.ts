/**
 * GET /api/ort/:file — onnxruntime-web's runtime files, served same-origin from the installed
 * package (node_modules/onnxruntime-web/dist), for `ort.env.wasm.wasmPaths` (app/_components/ort-web.ts).
 * Only the wasm execution provider's files are served (an allowlist, no path from the request
 * reaches the file system). 404 for anything else.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** file name → content type */
const FILES: Record<string, string> = {
  'ort-wasm-simd-threaded.wasm': 'application/wasm',
  'ort-wasm-simd-threaded.mjs': 'text/javascript; charset=utf-8',
};

function distDir(): string {
  return path.join(process.cwd(), 'node_modules', 'onnxruntime-web', 'dist');
}

export async function GET(_req: Request, { params }: { params: Promise<{ file: string }> }): Promise<Response> {
  const { file } = await params;
  const type = Object.prototype.hasOwnProperty.call(FILES, file) ? FILES[file] : null;
  if (!type) {
    return Response.json(
      { error: { code: 'NOT_FOUND', message: `no onnxruntime-web file '${file}'`, where: 'file', hint: `Served: ${Object.keys(FILES).join(', ')}.` } },
      { status: 404 },
    );
  }
  const full = path.join(distDir(), file);
  let size: number;
  try {
    size = (await stat(full)).size;
  } catch {
    return Response.json(
      { error: { code: 'NOT_FOUND', message: `onnxruntime-web is not installed (${file} missing)`, where: 'file', hint: 'Run npm ci.' } },
      { status: 404 },
    );
  }
  const body = Readable.toWeb(createReadStream(full)) as unknown as ReadableStream<Uint8Array>;
  return new Response(body, {
    headers: {
      'content-type': type,
      'content-length': String(size),
      'cache-control': 'public, max-age=86400',
      'cross-origin-resource-policy': 'same-origin',
    },
  });
}
