/** GET /api/runs/:id/labels — the run's label NIfTI (.nii.gz). */
import { blobResponse } from '@/server/api/http';
import { getLabelAsset } from '@/server/services/runs';
import { idRoute } from '@/app/api/_lib/id-route';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = idRoute(async (ctx, id) => blobResponse(ctx.blobs, await getLabelAsset(ctx, id)));
