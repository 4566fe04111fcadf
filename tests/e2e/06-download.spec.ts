import { readFile } from 'node:fs/promises';
import { expect, test } from '@playwright/test';
import { ViewerPage } from './pages/ViewerPage';
import { api, ensureDemoRun } from './support/api';
import { readNifti } from '@/lib/formats/nifti';

test('the downloaded label NIfTI reads back with the same instances', async ({ page }) => {
  const { studyId, run } = await ensureDemoRun();
  const instances = await api.instancesList({ runId: run.id });
  const study = await api.studiesGet({ id: studyId });

  const viewer = new ViewerPage(page);
  await viewer.goto(studyId);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-labels').click()]);
  expect(download.suggestedFilename()).toMatch(/\.nii(\.gz)?$/);
  const path = await download.path();
  const img = readNifti(new Uint8Array(await readFile(path)), download.suggestedFilename());

  expect(img.volume.shape).toEqual(study.meta.shape);
  const data = Array.from(img.volume.data as ArrayLike<number>);
  const unique = new Set<number>();
  let max = 0;
  for (const v of data) {
    if (v !== 0) unique.add(v);
    if (v > max) max = v;
  }
  expect(unique.size).toBe(instances.length);
  expect(max).toBe(Math.max(...instances.map((r) => r.labelId)));

  // Voxel counts agree with the table.
  const counts = new Map<number, number>();
  for (const v of data) if (v) counts.set(v, (counts.get(v) ?? 0) + 1);
  for (const r of instances) expect(counts.get(r.labelId), `voxels of label ${r.labelId}`).toBe(r.voxels);

  // CSV and JSON downloads answer too.
  const csv = await page.request.get(`/api/runs/${run.id}/instances.csv`);
  expect(csv.ok()).toBe(true);
  expect((await csv.text()).trim().split('\n').length).toBe(instances.length + 1);
  const json = await page.request.get(`/api/runs/${run.id}/instances.json`);
  expect(json.ok()).toBe(true);
});
