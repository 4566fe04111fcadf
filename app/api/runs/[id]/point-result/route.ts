/**
 * POST /api/runs/:id/point-result — the result of a browser point-cloud run (pointclouds.createBrowserRun):
 * the raw "TPR1" body (`application/octet-stream`, layout in lib/formats/pointcloud/result-format.ts:
 * header, Int32 instance[n], Int32 class[n], optional Float32 score per instance, JSON meta).
 * → 200 { runId, instanceCount, labelAssetId }. The server checks it against the study and the model
 * card (server/services/pointcloud-runs.ts); a bad result → 400 and the Run failed with the reason,
 * nothing stored. 404 unknown run, 409 not a running browser point-cloud run, 413 too large.
 */
import { getEnv } from '@/server/env';
import { readBodyLimited } from '@/server/api/http';
import { storeBrowserPointCloudResult } from '@/server/services/pointcloud-runs';
import { idRoute } from '@/app/api/_lib/id-route';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const POST = idRoute(async (ctx, id, req) => {
  const body = await readBodyLimited(req, getEnv().TESSERA_MAX_UPLOAD_MB * 2 ** 20).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
  return Response.json(await storeBrowserPointCloudResult(ctx, id, body));
});
