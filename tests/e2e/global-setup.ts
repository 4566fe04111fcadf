import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, type ServerState } from './support/server';

/** Fresh database + data folder, then the production server with the demo study seeded. */
export default async function globalSetup(): Promise<void> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'tessera-e2e-'));
  const state: ServerState = {
    root,
    databaseUrl: `file:${path.join(root, 'db', 'tessera.db')}`,
    dataDir: path.join(root, 'data'),
    logFile: path.join(root, 'server.log'),
    pid: null,
    starts: 0,
  };
  const file = path.join(root, 'state.json');
  writeFileSync(file, JSON.stringify(state, null, 2));
  process.env.TESSERA_E2E_STATE = file;
  console.log(`[e2e] server state and logs in ${root}`);
  await startServer();
}
