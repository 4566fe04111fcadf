import { expect, test } from '@playwright/test';
import { matchedVoxelAgreement } from '@/lib/metrics';
import { ViewerPage } from './pages/ViewerPage';
import { api, demoStudy, waitForRun } from './support/api';
import { newRunAfter, storedLabels } from './support/runs';

/**
 * "Run on: Browser (WebGPU)": Segment cells on the demo study computed in the page with
 * segmentCellsGpu on navigator.gpu (Chromium's SwiftShader WebGPU), result posted to the server;
 * then the same study on the server. The stored browser run must say location 'browser', device
 * 'webgpu' and the adapter, and both runs must agree (count, ≥ 99.5 % voxels after matching).
 */

test.setTimeout(480_000);

test('Segment cells in the browser on WebGPU, stored as a browser/webgpu run, equal to the server run', async ({ page }) => {
  const demo = await demoStudy();
  const viewer = new ViewerPage(page);
  await viewer.goto(demo.id);

  // WebGPU is available in this Chromium (SwiftShader): Browser is the default and shows the adapter.
  const runOn = page.getByTestId('run-on');
  await expect(runOn).toHaveAttribute('data-webgpu', 'available', { timeout: 60_000 });
  await expect(runOn).toHaveAttribute('data-run-on', 'browser');
  await expect(page.getByTestId('run-on-browser')).toBeChecked();
  await expect(page.getByTestId('webgpu-adapter')).toContainText(/WebGPU · .+/);

  // --- browser run ---
  const before = await api.runsList({ studyId: demo.id });
  await viewer.segmentButton.click();
  const browserRun = await newRunAfter(demo.id, before);
  expect(browserRun.location).toBe('browser');
  await expect(viewer.progress).toBeVisible();
  await expect(page.getByTestId('run-device')).toContainText('Browser · WebGPU');
  const stored = await waitForRun(browserRun.id, 400_000);
  expect(stored.error).toBeNull();
  expect(stored.status).toBe('succeeded');
  // From the stored Run: computed in the browser on WebGPU (not the CPU twin), adapter recorded.
  expect(stored).toMatchObject({ location: 'browser', runner: 'tessera', device: 'webgpu' });
  expect(stored.adapter).toBeTruthy();
  expect(stored.adapter!.toLowerCase()).toMatch(/swiftshader|google/);
  expect(stored.timings).toMatchObject({ smooth: expect.any(Number), watershed: expect.any(Number), stats: expect.any(Number), totalMs: expect.any(Number) });
  expect(stored.instanceCount).toBeGreaterThan(0);
  const browserRows = await api.instancesList({ runId: stored.id });
  expect(browserRows).toHaveLength(stored.instanceCount!);
  await expect(page.getByTestId('run-status')).toHaveText('succeeded');
  await expect(page.getByTestId('run-select')).toHaveValue(stored.id);
  await expect(viewer.rows).toHaveCount(stored.instanceCount!);
  await viewer.waitLabelsLoaded();
  await expect(page.getByTestId('run-details')).toContainText('tessera (browser)');

  // --- the same study on the server (through the page's "Server" choice) ---
  await page.getByTestId('run-on-server').check();
  await expect(runOn).toHaveAttribute('data-run-on', 'server');
  const before2 = await api.runsList({ studyId: demo.id });
  await viewer.segmentButton.click();
  const serverRun = await newRunAfter(demo.id, before2);
  const done = await waitForRun(serverRun.id, 400_000);
  expect(done.error).toBeNull();
  expect(done).toMatchObject({ status: 'succeeded', location: 'server', runner: 'tessera' });
  expect(['webgpu', 'cpu']).toContain(done.device);
  if (done.device === 'webgpu') expect(done.adapter).toBeTruthy();
  await expect(page.getByTestId('run-status')).toHaveText('succeeded');

  // Same instances: count and ≥ 99.5 % voxel agreement of the two stored label volumes.
  expect(done.instanceCount).toBe(stored.instanceCount);
  const { data: a } = await storedLabels(stored.id);
  const { data: b } = await storedLabels(done.id);
  expect(a.length).toBe(b.length);
  const agreement = Math.min(matchedVoxelAgreement(a, b), matchedVoxelAgreement(b, a));
  console.log(`[07] browser ${stored.device}/${stored.adapter} vs server ${done.device}/${done.adapter}: ${stored.instanceCount} instances, agreement ${(100 * agreement).toFixed(3)} %`);
  console.log(`[07] browser timings ${JSON.stringify(stored.timings)}; server timings ${JSON.stringify(done.timings)}`);
  expect(agreement).toBeGreaterThanOrEqual(0.995);
});
