/** The embedded single-user defaults: one local user, one default project. Idempotent. */
import type { Db, Tx } from '../db/client';

export const DEFAULT_PROJECT_SLUG = 'default';
export const LOCAL_USER_EMAIL = 'local@tessera.invalid';

export async function ensureDefaultProject(db: Db | Tx): Promise<{ id: string }> {
  return db.project.upsert({
    where: { slug: DEFAULT_PROJECT_SLUG },
    update: {},
    create: { slug: DEFAULT_PROJECT_SLUG, name: 'Default project' },
    select: { id: true },
  });
}

export async function ensureLocalUser(db: Db | Tx): Promise<{ id: string; name: string; email: string }> {
  return db.user.upsert({
    where: { email: LOCAL_USER_EMAIL },
    update: {},
    create: { email: LOCAL_USER_EMAIL, name: 'Local user' },
    select: { id: true, name: true, email: true },
  });
}
