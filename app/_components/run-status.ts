/** Small helpers the run panels share (StudyViewer, ModelRunPanel). */

/** A run still in progress (its status may change). */
export function isActive(status: string | null | undefined): boolean {
  return status === 'queued' || status === 'running';
}

/** Typed tRPC / route error → "message (where). hint" */
export function describeError(e: unknown): string {
  if (!e || typeof e !== 'object') return String(e);
  const err = e as { message?: string; data?: { tessera?: { where?: string; hint?: string } | null } | null };
  const t = err.data?.tessera;
  return [err.message ?? 'Request failed', t?.where ? ` (${t.where})` : '', t?.hint ? `. ${t.hint}` : ''].join('');
}

/** Progress 0..1 of a run as a whole percentage (0 without a run). */
export function percentOf(run: { progress?: number | null } | null | undefined): number {
  return run ? Math.round(Math.max(0, Math.min(1, run.progress ?? 0)) * 100) : 0;
}

/** Name and version of the registered model a run used: 'model:<name>' pipeline + modelVersion (else version); null for other pipelines. */
export function runModelLabel(run: { pipeline: string; version: string; modelVersion?: string | null }): string | null {
  if (!run.pipeline.startsWith('model:')) return null;
  return `${run.pipeline.slice('model:'.length)} v${run.modelVersion ?? run.version}`;
}
