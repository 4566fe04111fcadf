/** API tokens: only their sha256 is stored; the plaintext is shown once at creation. */
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../db/client';
import { notFound } from './errors';

export const TOKEN_PREFIX = 'tsr_';

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export async function createApiToken(db: Db, userId: string, name: string): Promise<{ id: string; token: string }> {
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const row = await db.apiToken.create({ data: { userId, name, tokenHash: hashToken(token) }, select: { id: true } });
  return { id: row.id, token };
}

/** The token's user, or null when unknown or revoked. Updates lastUsedAt. */
export async function resolveApiToken(db: Db, token: string): Promise<{ id: string; name: string; email: string } | null> {
  const row = await db.apiToken.findUnique({
    where: { tokenHash: hashToken(token) },
    include: { user: { select: { id: true, name: true, email: true } } },
  });
  if (!row || row.revokedAt) return null;
  await db.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } });
  return row.user;
}

export async function revokeApiToken(db: Db, id: string): Promise<void> {
  const r = await db.apiToken.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } });
  if (r.count === 0 && !(await db.apiToken.findUnique({ where: { id }, select: { id: true } }))) throw notFound('api token', id);
}
