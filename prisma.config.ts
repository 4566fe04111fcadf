/**
 * Prisma CLI configuration. Tessera keeps one data model (prisma/schema.base.prisma) and
 * generates a schema per provider (scripts/prisma-generate.mjs passes --schema explicitly).
 * For other CLI commands the provider follows DATABASE_URL (default: the local SQLite file).
 * Migrations are plain SQL under prisma/migrations/<provider>/ applied by server/db/migrate.ts.
 */
import { defineConfig } from 'prisma/config';

const url = process.env.DATABASE_URL ?? 'file:./.data/tessera.db';
const provider = /^postgres(ql)?:\/\//.test(url) ? 'postgresql' : 'sqlite';

export default defineConfig({
  schema: `prisma/${provider}/schema.prisma`,
  migrations: { path: `prisma/migrations/${provider}` },
  datasource: { url },
});
