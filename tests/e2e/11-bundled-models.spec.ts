import { expect, test } from '@playwright/test';
import { writeNifti } from '@/lib/formats/nifti';
import { matchedVoxelAgreement } from '@/lib/metrics';
import { generateNuclei } from '@/lib/synth';
import { instanceColor } from '@/lib/ui/palette';
import type { Vec3 } from '@/lib/volume';
import { UploadPage } from './pages/UploadPage';
import { ViewerPage } from './pages/ViewerPage';
import { api, query, waitForRun, type RunSummary } from './support/api';
import { newRunAfter, storedLabels } from './support/runs';

/**
 * The bundled `nuclei` model from the viewer's Segment panel (method "Nuclei model"), registered by
 * the server at start-up: a generated 64×64×32 nuclei volume uploaded through /upload, segmented in
 * the page on WebGPU (Chromium's SwiftShader; the tessera engine, then the cell-pipeline instance
 * step in the page) and on the server (Run on: Server, device auto). The stored browser Run must say
 * location 'browser', runner 'tessera', device 'webgpu' with the adapter; both runs store INSTANCE
 * maps (params.cellPipeline) that agree on ≥ 99.5 % of the foreground voxels after matching
 * (lib/metrics/agreement.ts, both directions) with instance counts within 2. The overlay shows the
 * instances in instance colours (no class legend). Saves docs/screenshots/bundled-nuclei-viewer.png.
 */

test.setTimeout(600_000);

const SHAPE: Vec3 = [64, 64, 32];

function nucleiVolume(): Uint8Array {
  const { image } = generateNuclei({ shape: SHAPE, seed: 7, count: 14 });
  return writeNifti({ volume: { ...image, units: 'um' }, descrip: 'Tessera e2e nuclei 64x64x32, seed 7' }, { gzip: true });
}

function cellPipelineOf(run: RunSummary): Record<string, unknown> | null {
  const p = run.params as Record<string, unknown> | null;
  return (p?.cellPipeline as Record<string, unknown> | undefined) ?? null;
}

test('the bundled nuclei model segments in the browser on WebGPU and on the server: same instances', async ({ page }) => {
  const stamp = String(Date.now());

  // Both bundled models are in the registry (registered at start-up), as 'cell-pipeline' models.
  const models = (await query('models.list')) as { id: string; name: string; card: { output: { instances: string } } }[];
  for (const name of ['nuclei', 'cells']) {
    const m = models.filter((x) => x.name === name);
    expect(m, `one registered '${name}' model`).toHaveLength(1);
    expect(m[0].card.output.instances).toBe('cell-pipeline');
  }

  const upload = new UploadPage(page);
  await upload.goto();
  await upload.upload('nuclei_64x64x32.nii.gz', nucleiVolume(), `E2E bundled nuclei ${stamp}`);
  const studyId = await upload.uploadedStudyId();

  const viewer = new ViewerPage(page);
  await viewer.goto(studyId);
  const runOn = page.getByTestId('run-on');
  await expect(runOn).toHaveAttribute('data-webgpu', 'available', { timeout: 60_000 });

  // Method: the bundled nuclei model (found in the registry), run in the browser.
  const method = page.getByTestId('segment-method');
  const option = method.locator('option[value="nuclei"]');
  await expect(option).toBeEnabled({ timeout: 30_000 });
  const modelId = await option.getAttribute('data-model-id');
  expect(modelId).toBeTruthy();
  await method.selectOption('nuclei');
  await expect(page.getByTestId('segment-model')).toHaveAttribute('data-model-id', modelId!);
  await expect(page.getByTestId('segment-model')).toContainText('tessera engine');
  await page.getByTestId('run-on-browser').check();
  await expect(viewer.segmentButton).toHaveText('Segment nuclei');

  // --- browser run ---
  const before = await api.runsList({ studyId });
  const t0 = Date.now();
  await viewer.segmentButton.click();
  const created = await newRunAfter(studyId, before);
  expect(created).toMatchObject({ location: 'browser', runner: 'tessera', device: 'webgpu', pipeline: 'model:nuclei', modelId });
  await expect(page.getByTestId('segment-model-progress')).toBeVisible();
  const browserRun = await waitForRun(created.id, 540_000);
  const browserMs = Date.now() - t0;
  expect(browserRun.error).toBeNull();
  expect(browserRun.status).toBe('succeeded');
  expect(browserRun).toMatchObject({ location: 'browser', runner: 'tessera', device: 'webgpu', pipeline: 'model:nuclei' });
  expect(browserRun.adapter).toBeTruthy();
  expect(browserRun.adapter!.toLowerCase()).toMatch(/swiftshader|google/);
  expect(cellPipelineOf(browserRun)).toMatchObject({ mode: 'distance', grid: { shape: SHAPE } });
  expect((browserRun.timings as Record<string, number>).delegated).toBe(0);
  expect(browserRun.instanceCount).toBeGreaterThan(0);
  const browserRows = await api.instancesList({ runId: browserRun.id });
  expect(browserRows).toHaveLength(browserRun.instanceCount!);
  expect(new Set(browserRows.map((r) => r.className))).toEqual(new Set(['nucleus']));

  // The panel: device line and instance count; the viewer selects the run: table and instance-coloured overlay.
  await expect(page.getByTestId('segment-model-status')).toHaveText('succeeded');
  await expect(page.getByTestId('segment-model-device')).toContainText(`Browser · tessera · WebGPU · ${browserRun.adapter}`);
  await expect(page.getByTestId('segment-model-done')).toHaveAttribute('data-instances', String(browserRun.instanceCount));
  await expect(page.getByTestId('run-select')).toHaveValue(browserRun.id);
  await expect(viewer.rows).toHaveCount(browserRun.instanceCount!);
  await viewer.waitLabelsLoaded();
  await expect(page.getByTestId('class-legend-item')).toHaveCount(0);
  const target = [...browserRows].sort((a, b) => b.voxels - a.voxels)[0];
  await viewer.row(target.labelId).click();
  await viewer.setOpacity(1);
  const rgb = instanceColor(target.labelId);
  await expect.poll(() => viewer.countColor(rgb), { message: `pixels of instance ${target.labelId}'s colour ${rgb}` }).toBeGreaterThan(20);
  await viewer.setOpacity(0.6);
  await page.mouse.move(0, 0);
  await page.screenshot({ path: 'docs/screenshots/bundled-nuclei-viewer.png', fullPage: true });

  // --- the same study on the server, from the same panel ---
  await page.getByTestId('run-on-server').check();
  await expect(runOn).toHaveAttribute('data-run-on', 'server');
  await expect(page.getByTestId('server-device')).toHaveValue('auto');
  const before2 = await api.runsList({ studyId });
  await viewer.segmentButton.click();
  const created2 = await newRunAfter(studyId, before2);
  const serverRun = await waitForRun(created2.id, 400_000);
  expect(serverRun.error).toBeNull();
  expect(serverRun).toMatchObject({ status: 'succeeded', location: 'server', pipeline: 'model:nuclei', modelId });
  expect(cellPipelineOf(serverRun)).toMatchObject({ mode: 'distance', grid: { shape: SHAPE } });
  await expect(page.getByTestId('segment-model-device')).toHaveAttribute('data-location', 'server');
  await expect(page.getByTestId('run-select')).toHaveValue(serverRun.id);
  await expect(viewer.rows).toHaveCount(serverRun.instanceCount!);

  // --- same instances: ≥ 99.5 % of the foreground voxels after matching, counts within 2 ---
  const a = await storedLabels(browserRun.id);
  const b = await storedLabels(serverRun.id);
  expect(a.shape).toEqual(SHAPE);
  expect(b.shape).toEqual(SHAPE);
  const agree = Math.min(matchedVoxelAgreement(a.data, b.data), matchedVoxelAgreement(b.data, a.data));
  console.log(
    `[11] nuclei ${SHAPE.join('×')}: browser tessera/webgpu (${browserRun.adapter}) ${browserRun.instanceCount} instances in ${browserMs} ms ` +
      `(${JSON.stringify(browserRun.timings)}); server ${serverRun.runner}/${serverRun.device} ${serverRun.instanceCount} instances ` +
      `(${JSON.stringify(serverRun.timings)}); matched voxel agreement ${(100 * agree).toFixed(3)} %`,
  );
  expect(agree).toBeGreaterThanOrEqual(0.995);
  expect(Math.abs(browserRun.instanceCount! - serverRun.instanceCount!)).toBeLessThanOrEqual(2);
});
