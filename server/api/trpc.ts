/** tRPC 11 initialisation: error mapping (TesseraError → tRPC code + data.tessera) and auth. */
import { initTRPC, TRPCError } from '@trpc/server';
import { ZodError } from 'zod';
import { TesseraError, isTesseraError } from '@/lib/errors';
import type { Context } from './context';
import { trpcCodeFor } from './error-map';

export interface TesseraErrorData {
  code: TesseraError['code'];
  where: string | null;
  hint: string | null;
}

const t = initTRPC.context<Context>().create({
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    const tessera: TesseraErrorData | null = isTesseraError(cause)
      ? { code: cause.code, where: cause.where ?? null, hint: cause.hint ?? null }
      : null;
    const zod = cause instanceof ZodError ? cause.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) : null;
    return { ...shape, data: { ...shape.data, tessera, zodIssues: zod } };
  },
});

/** Turns typed domain errors thrown by services into tRPC errors with the right code. */
const mapErrors = t.middleware(async ({ next }) => {
  const r = await next();
  if (!r.ok) {
    const cause = r.error.cause;
    if (isTesseraError(cause)) throw new TRPCError({ code: trpcCodeFor(cause.code), message: cause.message, cause });
    if (cause instanceof ZodError) throw new TRPCError({ code: 'BAD_REQUEST', message: 'invalid input', cause });
  }
  return r;
});

const requireUser = t.middleware(({ ctx, next }) => {
  if (!ctx.user) {
    throw new TRPCError({
      code: 'UNAUTHORIZED',
      message: ctx.authError ?? 'not signed in',
      cause: new TesseraError('UNAUTHORIZED', ctx.authError ?? 'not signed in', {
        where: 'Authorization',
        hint: 'Send Authorization: Bearer <token> with a valid API token.',
      }),
    });
  }
  return next({ ctx: { ...ctx, user: ctx.user } });
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(mapErrors);
/** Every Tessera procedure: a known caller (local user or API token). */
export const protectedProcedure = publicProcedure.use(requireUser);
