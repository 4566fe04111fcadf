import { expect, test } from '@playwright/test';
import { ViewerPage } from './pages/ViewerPage';
import { api, ensureDemoRun } from './support/api';
import { instanceColor } from '@/lib/ui/palette';

test('clicking an instance moves the crosshair and highlights it; the overlay toggles', async ({ page }) => {
  const { studyId, run } = await ensureDemoRun();
  const instances = await api.instancesList({ runId: run.id });
  // The largest instance: plenty of pixels on every slice through its centroid.
  const target = [...instances].sort((a, b) => b.voxels - a.voxels)[0];

  const viewer = new ViewerPage(page);
  await viewer.goto(studyId);
  await viewer.waitLabelsLoaded();
  await expect(viewer.rows).toHaveCount(instances.length);

  await viewer.row(target.labelId).click();
  await expect(viewer.row(target.labelId)).toHaveAttribute('data-selected', 'true');
  await expect(page.getByTestId('selected-label')).toHaveText(String(target.labelId));
  await expect.poll(() => page.evaluate(() => window.__tessera?.selectedLabel)).toBe(target.labelId);

  await expect
    .poll(async () => {
      const v = await viewer.crosshairVoxel();
      return v ? Math.max(...v.map((x, i) => Math.abs(x - target.centroid[i]))) : Infinity;
    })
    .toBeLessThanOrEqual(1);

  await viewer.setOpacity(1);
  const rgb = instanceColor(target.labelId);
  await expect.poll(() => viewer.countColor(rgb), { message: `pixels of colour ${rgb}` }).toBeGreaterThan(20);

  await viewer.overlayToggle.uncheck();
  await expect.poll(() => page.evaluate(() => window.__tessera?.overlayVisible)).toBe(false);
  await expect.poll(() => viewer.countColor(rgb)).toBe(0);

  await viewer.overlayToggle.check();
  await expect.poll(() => viewer.countColor(rgb)).toBeGreaterThan(20);
});
