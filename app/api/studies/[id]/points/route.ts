/**
 * GET /api/studies/:id/points[?labels=auto|file|<runId>] — a point-cloud study as the viewer's compact
 * binary (layout in lib/formats/pointcloud/points-format.ts: 32-byte header "TPC1", f32 xyz,
 * u8 rgb, i32 instance, i32 class, little-endian, the file's point order). `labels`: 'auto' (default)
 * = the latest succeeded Run's labels, else the file's own; 'file'; or a Run id. The chosen source
 * is also in the `x-tessera-labels` header ("none" | "file" | "run:<id>").
 */
import { pointCloudRoute } from '@/app/api/_lib/pointcloud-route';
import { encodePointsPayload } from '@/lib/formats/pointcloud/points-format';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = pointCloudRoute((v) => {
  const body = encodePointsPayload({
    count: v.cloud.count,
    positions: v.cloud.positions,
    colors: v.cloud.colors,
    instance: v.labels.instance,
    classIds: v.labels.classIds,
    source: v.labels.source,
  });
  return { body, headers: { 'content-type': 'application/octet-stream', 'content-length': String(body.byteLength) } };
});
