/**
 * Starts, stops and restarts the production server the browser tests talk to. The server runs as
 * `node node_modules/next/dist/bin/next start` in its own process group (never through npx, which
 * would leave the real server behind), so stopping it kills exactly the processes started here.
 * State (pid, temp folders) lives in a JSON file whose path global-setup puts in TESSERA_E2E_STATE,
 * so any worker can restart the server and global-teardown can stop it.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { E2E_BASE_URL, E2E_PORT } from './constants';

export interface ServerState {
  root: string;
  databaseUrl: string;
  dataDir: string;
  logFile: string;
  pid: number | null;
  starts: number;
}

export function statePath(): string {
  const p = process.env.TESSERA_E2E_STATE;
  if (!p) throw new Error('TESSERA_E2E_STATE is not set: run the tests through playwright.config.ts (global-setup)');
  return p;
}

export function readState(): ServerState {
  return JSON.parse(readFileSync(statePath(), 'utf8')) as ServerState;
}

export function writeState(s: ServerState): void {
  writeFileSync(statePath(), JSON.stringify(s, null, 2));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function portAnswers(): Promise<boolean> {
  try {
    const r = await fetch(`${E2E_BASE_URL}/api/trpc/studies.list`, { signal: AbortSignal.timeout(5_000) });
    return r.status > 0;
  } catch {
    return false;
  }
}

/** Waits until tRPC answers studies.list with 200 and (optionally) the demo study is there. */
export async function waitUntilReady(opts: { timeoutMs?: number; needDemo?: boolean; pid?: number | null } = {}): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  let last = '';
  while (Date.now() < deadline) {
    if (opts.pid && !alive(opts.pid)) throw new Error(`server process ${opts.pid} exited during start-up; see ${readState().logFile}`);
    try {
      const r = await fetch(`${E2E_BASE_URL}/api/trpc/studies.list`, { signal: AbortSignal.timeout(10_000) });
      last = `${r.status}`;
      if (r.ok) {
        const body = (await r.json()) as { result?: { data?: { name: string }[] } };
        const list = body.result?.data ?? [];
        if (!opts.needDemo || list.some((s) => s.name.startsWith('Demo'))) return;
        last = 'demo study not seeded yet';
      }
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    await sleep(500);
  }
  throw new Error(`server at ${E2E_BASE_URL} not ready: ${last}`);
}

export async function startServer(): Promise<void> {
  const s = readState();
  if (s.pid && alive(s.pid)) throw new Error(`server already running (pid ${s.pid})`);
  if (await portAnswers()) throw new Error(`port ${E2E_PORT} is already in use by another process`);
  const root = fileURLToPath(new URL('../../..', import.meta.url));
  if (!existsSync(path.join(root, '.next', 'BUILD_ID'))) {
    throw new Error('no production build: run `node node_modules/next/dist/bin/next build` before the browser tests');
  }
  mkdirSync(s.dataDir, { recursive: true });
  if (s.databaseUrl.startsWith('file:')) mkdirSync(path.dirname(s.databaseUrl.slice('file:'.length)), { recursive: true });
  const out = openSync(s.logFile, 'a');
  const child = spawn(process.execPath, ['node_modules/next/dist/bin/next', 'start', '-p', String(E2E_PORT), '-H', '127.0.0.1'], {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      NEXT_TELEMETRY_DISABLED: '1',
      PORT: String(E2E_PORT),
      DATABASE_URL: s.databaseUrl,
      TESSERA_DATA_DIR: s.dataDir,
      TESSERA_SEED_DEMO: '1',
      TESSERA_REQUIRE_TOKEN: '0',
    },
    stdio: ['ignore', out, out],
    detached: true,
  });
  child.unref();
  if (!child.pid) throw new Error('could not spawn next start');
  writeState({ ...s, pid: child.pid, starts: s.starts + 1 });
  await waitUntilReady({ needDemo: true, pid: child.pid });
}

/** Stops the server started by startServer (its process group), waiting for the port to close. */
export async function stopServer(): Promise<void> {
  const s = readState();
  const pid = s.pid;
  if (pid && alive(pid)) {
    const kill = (sig: NodeJS.Signals) => {
      try {
        process.kill(-pid, sig);
      } catch {
        try {
          process.kill(pid, sig);
        } catch {
          /* gone */
        }
      }
    };
    kill('SIGTERM');
    const deadline = Date.now() + 15_000;
    while (alive(pid) && Date.now() < deadline) await sleep(200);
    if (alive(pid)) kill('SIGKILL');
    while (alive(pid)) await sleep(100);
  }
  writeState({ ...s, pid: null });
  const deadline = Date.now() + 15_000;
  while ((await portAnswers()) && Date.now() < deadline) await sleep(200);
}

export async function restartServer(): Promise<void> {
  await stopServer();
  await startServer();
}
