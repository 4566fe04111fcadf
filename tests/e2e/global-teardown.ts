import { stopServer } from './support/server';

export default async function globalTeardown(): Promise<void> {
  if (process.env.TESSERA_E2E_STATE) await stopServer();
}
