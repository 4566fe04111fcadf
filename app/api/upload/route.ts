/**
 * POST /api/upload — raw body (application/octet-stream), header x-filename (URL-encoded), optional
 * x-study-name, x-modality → 201 { studyId, kind }. NIfTI (.nii / .nii.gz) or a TIFF stack (.tif / .tiff, stored as NIfTI + the TIFF as 'source') becomes a 'volume' study;
 * point clouds (.ply .pcd .las .laz .xyz .csv .txt) a 'pointcloud' study. Errors: 400/413/415 { error: { code, message, where, hint } };
 * nothing is stored on failure.
 */
import { ArgumentError } from '@/lib/errors';
import { getEnv } from '@/server/env';
import { errorResponse, readBodyLimited } from '@/server/api/http';
import { routeContext } from '@/server/api/request';
import { createStudyFromUpload } from '@/server/services/studies';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

function header(req: Request, name: string): string | undefined {
  const v = req.headers.get(name);
  if (v === null || v === '') return undefined;
  try {
    return decodeURIComponent(v);
  } catch {
    throw new ArgumentError(`header ${name} is not valid URL encoding`, { where: name, hint: 'Encode it with encodeURIComponent.' });
  }
}

export async function POST(req: Request): Promise<Response> {
  try {
    const ctx = await routeContext(req);
    const filename = header(req, 'x-filename');
    if (!filename) throw new ArgumentError('missing x-filename header', { where: 'x-filename', hint: 'Send the file name, URL-encoded, in x-filename.' });
    const bytes = await readBodyLimited(req, getEnv().TESSERA_MAX_UPLOAD_MB * 2 ** 20);
    const { studyId, kind } = await createStudyFromUpload(ctx, bytes, {
      filename,
      name: header(req, 'x-study-name'),
      modality: header(req, 'x-modality'),
    });
    return Response.json({ studyId, kind }, { status: 201 });
  } catch (e) {
    return errorResponse(e);
  }
}
