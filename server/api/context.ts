/**
 * Request context: database, blob store and the caller. A `Authorization: Bearer <token>` header is
 * resolved to its ApiToken's user (unknown/revoked → UNAUTHORIZED on use); without one the caller is
 * the embedded local user, unless TESSERA_REQUIRE_TOKEN=1.
 */
import type { BlobStore } from '../blob/types';
import type { Db } from '../db/client';
import { ensureLocalUser } from '../services/defaults';
import { resolveApiToken } from '../services/tokens';

export interface ContextUser {
  id: string;
  name: string;
  email: string;
  via: 'local' | 'token';
}

export interface Context {
  db: Db;
  blobs: BlobStore;
  user: ContextUser | null;
  /** Why `user` is null, reported by the auth middleware. */
  authError: string | null;
}

export async function resolveCaller(
  db: Db,
  authorization: string | null,
  requireToken: boolean,
): Promise<{ user: ContextUser | null; authError: string | null }> {
  const m = authorization?.match(/^Bearer\s+(\S+)\s*$/i);
  if (authorization && !m) return { user: null, authError: 'malformed Authorization header (expected "Bearer <token>")' };
  if (m) {
    const u = await resolveApiToken(db, m[1]);
    return u ? { user: { ...u, via: 'token' }, authError: null } : { user: null, authError: 'unknown or revoked API token' };
  }
  if (requireToken) return { user: null, authError: 'an API token is required (Authorization: Bearer <token>)' };
  return { user: { ...(await ensureLocalUser(db)), via: 'local' }, authError: null };
}

export async function createContextFor(opts: {
  db: Db;
  blobs: BlobStore;
  headers?: Headers;
  requireToken?: boolean;
}): Promise<Context> {
  const { user, authError } = await resolveCaller(opts.db, opts.headers?.get('authorization') ?? null, opts.requireToken ?? false);
  return { db: opts.db, blobs: opts.blobs, user, authError };
}
