import { expect, test } from '@playwright/test';
import { ViewerPage } from './pages/ViewerPage';
import { api, demoStudy } from './support/api';

test('Segment cells on the demo study shows progress and fills the instance table', async ({ page }) => {
  const demo = await demoStudy();
  const runsBefore = await api.runsList({ studyId: demo.id });
  const viewer = new ViewerPage(page);
  await viewer.goto(demo.id);

  await viewer.segmentButton.click();
  await expect(viewer.progress).toBeVisible();
  await expect(page.getByTestId('run-percent')).toHaveText(/\d+%/);
  await expect(page.getByTestId('run-status')).toHaveText('succeeded', { timeout: 170_000 });
  await expect(page.getByTestId('run-percent')).toHaveText('100%');

  const runsAfter = await api.runsList({ studyId: demo.id });
  expect(runsAfter.length).toBe(runsBefore.length + 1);
  const newRun = runsAfter.find((r) => !runsBefore.some((b) => b.id === r.id));
  expect(newRun?.status).toBe('succeeded');
  const stored = await api.instancesList({ runId: newRun!.id });
  expect(stored.length).toBeGreaterThan(0);
  expect(newRun!.instanceCount).toBe(stored.length);

  await expect(page.getByTestId('run-select')).toHaveValue(newRun!.id);
  await expect(viewer.rows).toHaveCount(stored.length);
  await expect(page.getByTestId('instance-count')).toHaveText(`(${stored.length})`);
  await viewer.waitLabelsLoaded();
});
