import { expect, test } from '@playwright/test';
import { ViewerPage } from './pages/ViewerPage';
import { api, ensureDemoRun, latestSucceededRun } from './support/api';
import { restartServer } from './support/server';

test('after a server restart the same instances come back', async ({ page }) => {
  const { studyId, run } = await ensureDemoRun();
  const before = await api.instancesList({ runId: run.id });
  expect(before.length).toBeGreaterThan(0);

  await restartServer();

  const runAfter = await latestSucceededRun(studyId);
  expect(runAfter?.id).toBe(run.id);
  const after = await api.instancesList({ runId: run.id });
  expect(after.map((r) => [r.labelId, r.voxels])).toEqual(before.map((r) => [r.labelId, r.voxels]));

  const viewer = new ViewerPage(page);
  await viewer.goto(studyId);
  await expect(page.getByTestId('run-select')).toHaveValue(run.id);
  await expect(viewer.rows).toHaveCount(before.length);
  const labels = await viewer.rows.evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-label-id'))));
  expect([...labels].sort((a, b) => a - b)).toEqual(before.map((r) => r.labelId).sort((a, b) => a - b));
  await viewer.waitLabelsLoaded();
});
