/**
 * What every browser run does around its own computation (classical pipeline: browser-run.ts;
 * registered model: browser-model-run.ts), once the Run exists:
 *
 * - stage/progress to runs.reportProgress, throttled (a repeated stage at most every 500 ms unless
 *   forced), in order, never failing the run;
 * - a heartbeat every 60 s (a browser run that stops reporting is marked abandoned by the server);
 * - the result posted to POST /api/runs/:id/result (multipart: `labels` NIfTI + `result` JSON);
 * - on any failure the server was not told about: runs.failBrowserRun with the message.
 *
 * Browser-safe (fetch, FormData, timers only).
 */

export interface BrowserRunReportApi {
  reportProgress: (input: { id: string; stage: string; progress: number }) => Promise<unknown>;
  failBrowserRun: (input: { id: string; error: string }) => Promise<unknown>;
}

export interface BrowserRunSession {
  /** Stage and progress (0..1) of the run; `force` sends even a repeated stage at once. */
  report: (stage: string, progress: number, force?: boolean) => void;
  /** Posts the label NIfTI and the result JSON once the pending reports went out; throws the server's reason. */
  upload: (labels: Uint8Array, result: unknown) => Promise<void>;
}

/** "message (where). hint" of a typed error (or of the server's `error` body). */
export function describeFailure(e: unknown): string {
  if (e && typeof e === 'object' && 'message' in e) {
    const t = e as { message: string; where?: string; hint?: string };
    return `${t.message}${t.where ? ` (${t.where})` : ''}${t.hint ? `. ${t.hint}` : ''}`;
  }
  return String(e);
}

/**
 * Runs `work` for the browser Run `runId` with a reporting session; `idleStage` is the heartbeat's
 * stage before any was reported; `onReport` sees every report (the page's own display).
 */
export async function withBrowserRunSession<T>(
  o: { runId: string; api: BrowserRunReportApi; idleStage: string; onReport?: (stage: string, progress: number) => void },
  work: (s: BrowserRunSession) => Promise<T>,
): Promise<T> {
  const { runId, api } = o;
  let lastStage = '';
  let lastProgress = 0;
  let lastSent = 0;
  let chain: Promise<unknown> = Promise.resolve();
  const report = (stage: string, progress: number, force = false) => {
    o.onReport?.(stage, progress);
    lastProgress = progress;
    const now = Date.now();
    if (!force && stage === lastStage && now - lastSent < 500) return;
    lastStage = stage;
    lastSent = now;
    chain = chain.then(() => api.reportProgress({ id: runId, stage, progress: Math.min(1, Math.max(0, progress)) })).catch(() => undefined);
  };
  const upload = async (labels: Uint8Array, result: unknown) => {
    const body = new FormData();
    body.append('labels', new Blob([labels as BlobPart], { type: 'application/gzip' }), 'labels.nii.gz');
    body.append('result', JSON.stringify(result));
    await chain;
    const up = await fetch(`/api/runs/${encodeURIComponent(runId)}/result`, { method: 'POST', body });
    if (!up.ok) {
      const j = (await up.json().catch(() => null)) as { error?: { message?: string; where?: string; hint?: string } } | null;
      // The server has already marked the run failed with the reason.
      throw Object.assign(new Error(j?.error ? describeFailure(j.error) : `upload failed: HTTP ${up.status}`), { reported: true });
    }
  };
  // Heartbeat: a browser run that stops reporting is marked abandoned by the server.
  const heartbeat = setInterval(() => report(lastStage || o.idleStage, lastProgress, true), 60_000);
  try {
    return await work({ report, upload });
  } catch (e) {
    if (!(e as { reported?: boolean }).reported) {
      await chain;
      await api.failBrowserRun({ id: runId, error: describeFailure(e).slice(0, 1900) || 'unknown error' }).catch(() => undefined);
    }
    throw e;
  } finally {
    clearInterval(heartbeat);
  }
}
