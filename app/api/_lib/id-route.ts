/**
 * The shape of a route handler under `…/[id]/…`: resolve the caller (routeContext: boot, token),
 * await the `id` param, call the service, and turn any thrown error into the typed JSON error
 * response (errorResponse: TesseraError codes → HTTP statuses).
 *
 *   export const GET = idRoute(async (ctx, id) => blobResponse(ctx.blobs, await getLabelAsset(ctx, id)));
 */
import { errorResponse } from '@/server/api/http';
import { routeContext } from '@/server/api/request';

export type RouteCtx = Awaited<ReturnType<typeof routeContext>>;

/** The second argument Next passes a dynamic `[id]` route handler. */
export interface IdParams {
  params: Promise<{ id: string }>;
}

export function idRoute(handler: (ctx: RouteCtx, id: string, req: Request) => Promise<Response>): (req: Request, route: IdParams) => Promise<Response> {
  return async (req, { params }) => {
    try {
      const ctx = await routeContext(req);
      const { id } = await params;
      return await handler(ctx, id, req);
    } catch (e) {
      return errorResponse(e);
    }
  };
}
