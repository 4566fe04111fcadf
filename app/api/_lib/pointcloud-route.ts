/**
 * The shape of the point-cloud study routes (`/api/studies/:id/{points,instances.csv,instances.json}`):
 * the study's points and labels chosen by `?labels=auto|file|<runId>` (server/services/pointclouds.ts),
 * answered uncached with the label source in `x-tessera-labels`.
 */
import { labelSelectorOf, labelsHeader, pointCloudView } from '@/server/services/pointclouds';
import { idRoute } from './id-route';

export type PointCloudViewData = Awaited<ReturnType<typeof pointCloudView>>;

export function pointCloudRoute(
  make: (v: PointCloudViewData, id: string) => { body: BodyInit; headers: Record<string, string> },
): ReturnType<typeof idRoute> {
  return idRoute(async (ctx, id, req) => {
    const v = await pointCloudView(ctx, id, labelSelectorOf(req));
    const { body, headers } = make(v, id);
    return new Response(body, { headers: { 'cache-control': 'no-store', 'x-tessera-labels': labelsHeader(v.labels), ...headers } });
  });
}
