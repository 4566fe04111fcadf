export const E2E_PORT = Number(process.env.TESSERA_E2E_PORT ?? 3210);
export const E2E_BASE_URL = `http://127.0.0.1:${E2E_PORT}`;
/** Name of the demo study seeded at boot (server/demo/seed.ts DEMO_STUDY_NAME starts with this). */
export const DEMO_PREFIX = 'Demo:';
