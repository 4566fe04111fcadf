/** Runs as the browser tests follow them: the Run a click created, and a stored label volume. */
import { expect } from '@playwright/test';
import { readNifti } from '@/lib/formats/nifti';
import type { Vec3 } from '@/lib/volume';
import { api, type RunSummary } from './api';
import { E2E_BASE_URL } from './constants';

/** The study's Run that is not in `before` (polls until the page has created it). */
export async function newRunAfter(studyId: string, before: RunSummary[]): Promise<RunSummary> {
  let found: RunSummary | undefined;
  await expect
    .poll(async () => {
      found = (await api.runsList({ studyId })).find((r) => !before.some((b) => b.id === r.id));
      return found?.id ?? null;
    })
    .not.toBeNull();
  return found!;
}

/** GET /api/runs/:id/labels read back: the stored label (or class) volume and its shape. */
export async function storedLabels(runId: string): Promise<{ data: Uint32Array; shape: Vec3 }> {
  const r = await fetch(`${E2E_BASE_URL}/api/runs/${runId}/labels`);
  expect(r.status).toBe(200);
  const img = readNifti(new Uint8Array(await r.arrayBuffer()));
  return { data: Uint32Array.from(img.volume.data as ArrayLike<number>), shape: img.volume.shape };
}
