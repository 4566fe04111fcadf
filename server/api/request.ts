import 'server-only';
/** Shared entry for route handlers: boot once, resolve the caller, hand back the deps. */
import { TesseraError } from '@/lib/errors';
import { getEnv } from '../env';
import { ensureBooted } from '../startup/boot';
import { getServerDeps } from '../startup/deps';
import { createContextFor, type Context } from './context';

export async function routeContext(req: Request): Promise<Context & { user: NonNullable<Context['user']> }> {
  await ensureBooted();
  const ctx = await createContextFor({ ...getServerDeps(), headers: req.headers, requireToken: getEnv().TESSERA_REQUIRE_TOKEN === '1' });
  if (!ctx.user) {
    throw new TesseraError('UNAUTHORIZED', ctx.authError ?? 'not signed in', {
      where: 'Authorization',
      hint: 'Send Authorization: Bearer <token> with a valid API token.',
    });
  }
  return { ...ctx, user: ctx.user };
}

export async function trpcContext(req: Request): Promise<Context> {
  await ensureBooted();
  return createContextFor({ ...getServerDeps(), headers: req.headers, requireToken: getEnv().TESSERA_REQUIRE_TOKEN === '1' });
}
