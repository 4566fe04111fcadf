/**
 * Server environment, validated once with Zod. Read lazily (`getEnv()`) so tests and scripts can set
 * process.env before first use; `resetEnvForTests()` drops the cached value.
 */
import { z } from 'zod';
import { ArgumentError } from '@/lib/errors';

const EnvSchema = z.object({
  DATABASE_URL: z
    .string()
    .default('file:./.data/tessera.db')
    .refine((u) => /^(file:|postgres(ql)?:\/\/)/.test(u), 'must start with file: or postgres:// / postgresql://'),
  TESSERA_DATA_DIR: z.string().min(1).default('./.data'),
  TESSERA_BLOB_DIR: z.string().min(1).optional(),
  TESSERA_MAX_UPLOAD_MB: z.coerce.number().positive().default(2048),
  /** Largest ONNX model accepted by POST /api/models, in MB. */
  TESSERA_MAX_MODEL_MB: z.coerce.number().positive().max(65536).default(200),
  PORT: z.coerce.number().int().positive().max(65535).default(3000),
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  /** '1' to seed the demo study at boot. */
  TESSERA_SEED_DEMO: z.enum(['0', '1']).default('0'),
  /** '1' to reject tRPC/route calls without a valid bearer ApiToken (default: embedded local user). */
  TESSERA_REQUIRE_TOKEN: z.enum(['0', '1']).default('0'),
});

export type Env = z.infer<typeof EnvSchema> & { TESSERA_BLOB_DIR: string };

let cached: Env | undefined;

export function parseEnv(source: Record<string, string | undefined>): Env {
  // Empty strings count as unset.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const r = EnvSchema.safeParse(cleaned);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new ArgumentError(`invalid environment: ${issue?.path.join('.')} ${issue?.message}`, {
      where: `env.${issue?.path.join('.') ?? '?'}`,
      hint: 'Fix the variable in the environment or .env file.',
    });
  }
  const e = r.data;
  return { ...e, TESSERA_BLOB_DIR: e.TESSERA_BLOB_DIR ?? `${e.TESSERA_DATA_DIR.replace(/\/+$/, '')}/blobs` };
}

export function getEnv(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}

export function resetEnvForTests(): void {
  cached = undefined;
}
