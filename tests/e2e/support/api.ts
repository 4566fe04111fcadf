/**
 * Minimal tRPC-over-HTTP client for assertions (no transformer on the server, so plain JSON):
 * GET /api/trpc/<path>?input=<json> for queries, POST /api/trpc/<path> for mutations.
 */
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '@/server/api/root';
import { E2E_BASE_URL } from './constants';

type In = inferRouterInputs<AppRouter>;
type Out = inferRouterOutputs<AppRouter>;

async function unwrap<T>(r: Response, what: string): Promise<T> {
  const text = await r.text();
  let body: { result?: { data?: unknown }; error?: { message?: string } };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new Error(`${what}: HTTP ${r.status}, not JSON: ${text.slice(0, 200)}`);
  }
  if (!r.ok || body.error) throw new Error(`${what}: HTTP ${r.status} ${body.error?.message ?? text.slice(0, 200)}`);
  return body.result?.data as T;
}

export async function query<P extends string>(path: P, input?: unknown): Promise<unknown> {
  const qs = input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`;
  return unwrap(await fetch(`${E2E_BASE_URL}/api/trpc/${path}${qs}`), path);
}

export async function mutate(path: string, input: unknown): Promise<unknown> {
  return unwrap(
    await fetch(`${E2E_BASE_URL}/api/trpc/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(input) }),
    path,
  );
}

export const api = {
  studiesList: () => query('studies.list') as Promise<Out['studies']['list']>,
  studiesGet: (input: In['studies']['get']) => query('studies.get', input) as Promise<Out['studies']['get']>,
  runsList: (input: In['runs']['list']) => query('runs.list', input) as Promise<Out['runs']['list']>,
  runsGet: (input: In['runs']['get']) => query('runs.get', input) as Promise<Out['runs']['get']>,
  instancesList: (input: In['instances']['list']) => query('instances.list', input) as Promise<Out['instances']['list']>,
  segmentCells: (input: In['runs']['segmentCells']) => mutate('runs.segmentCells', input) as Promise<Out['runs']['segmentCells']>,
};

export type RunSummary = Out['runs']['get'];

export async function demoStudy(): Promise<Out['studies']['list'][number]> {
  const list = await api.studiesList();
  const demo = list.find((s) => s.name.startsWith('Demo'));
  if (!demo) throw new Error(`no demo study among ${list.map((s) => s.name).join(', ')}`);
  return demo;
}

/** Latest succeeded run of a study. */
export async function latestSucceededRun(studyId: string): Promise<RunSummary | null> {
  const runs = await api.runsList({ studyId });
  const ok = runs.filter((r) => r.status === 'succeeded').sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
  return ok[0] ?? null;
}

/** Waits for a run to finish (succeeded or failed). */
export async function waitForRun(runId: string, timeoutMs = 170_000): Promise<RunSummary> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await api.runsGet({ id: runId });
    if (r.status === 'succeeded' || r.status === 'failed') return r;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${r.status} (${r.stage}) after ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 500));
  }
}

/** The demo study's latest succeeded run, segmenting through the API when there is none yet. */
export async function ensureDemoRun(): Promise<{ studyId: string; run: RunSummary }> {
  const demo = await demoStudy();
  const existing = await latestSucceededRun(demo.id);
  if (existing) return { studyId: demo.id, run: existing };
  const { runId } = await api.segmentCells({ studyId: demo.id });
  const run = await waitForRun(runId);
  if (run.status !== 'succeeded') throw new Error(`segmentation failed: ${run.error}`);
  return { studyId: demo.id, run };
}
