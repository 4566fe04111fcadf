import { expect, test, type Page } from '@playwright/test';
import { ModelsPage } from './pages/ModelsPage';
import { UploadPage } from './pages/UploadPage';
import { ViewerPage } from './pages/ViewerPage';
import { api, waitForRun, type RunSummary } from './support/api';
import { E2E_BASE_URL } from './support/constants';
import { newRunAfter, storedLabels } from './support/runs';
import {
  agreement,
  erfCard,
  erfModel,
  gwmBytes,
  gwmCard,
  histogram,
  modelsApi,
  ortNodeClassMap,
  registerModel,
  t1Crop,
} from './support/models';

/**
 * "Run model" in the viewer, on the browser:
 * (1) MeshNet GWM registered through /models, a 48³ crop of the brainchop T1 uploaded through
 *     /upload, run in the page on WebGPU (Chromium's SwiftShader) by the tessera engine: the stored
 *     Run says browser / tessera / webgpu / adapter, nothing delegated; its stored class map equals
 *     onnxruntime-node's on the same crop prepared by lib/model/prepare.ts (≥ 99.9 % of voxels);
 *     the overlay shows the card's class colours (background transparent); instances listed.
 * (2) A model with an op the engine lacks (Erf), registered through POST /api/models: the page
 *     falls back to onnxruntime-web (wasm) by itself; the Run records that runner and why, and its
 *     class map equals onnxruntime-node's.
 * No WebGPU adapter in the browser fails (1): the run would record onnxruntime-web, not tessera.
 */

test.setTimeout(480_000);

const CROP = 48;
// A block of the T1 (256³, 1 mm) where the crop alone gives all three classes in good numbers.
const CROP_START: [number, number, number] = [80, 110, 110];

/** The stored class map of a run (on the crop's grid). */
async function storedClassMap(runId: string): Promise<Uint32Array> {
  const { data, shape } = await storedLabels(runId);
  expect(shape).toEqual([CROP, CROP, CROP]);
  return data;
}

/** Uploads the crop through the upload page; returns the study id and the exact bytes uploaded. */
async function uploadCrop(page: Page, name: string): Promise<{ studyId: string; bytes: Uint8Array }> {
  const { bytes } = t1Crop(CROP, CROP_START);
  const upload = new UploadPage(page);
  await upload.goto();
  await upload.upload('t1_crop48.nii.gz', bytes, name);
  return { studyId: await upload.uploadedStudyId(), bytes };
}

function param(run: RunSummary, key: string): unknown {
  const p = run.params as Record<string, unknown> | null;
  return p ? p[key] : undefined;
}

function timing(run: RunSummary, key: string): unknown {
  const t = run.timings as Record<string, unknown> | null;
  return t ? t[key] : undefined;
}

/** Uploads the crop through POST /api/upload (raw body). */
async function uploadCropApi(name: string): Promise<{ studyId: string; bytes: Uint8Array }> {
  const { bytes } = t1Crop(CROP, CROP_START);
  const r = await fetch(`${E2E_BASE_URL}/api/upload`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream', 'x-filename': encodeURIComponent('t1_crop48.nii.gz'), 'x-study-name': encodeURIComponent(name) },
    body: Buffer.from(bytes),
  });
  const body = (await r.json()) as { studyId?: string };
  expect(r.status, JSON.stringify(body)).toBe(201);
  return { studyId: body.studyId!, bytes };
}

test('MeshNet GWM registered through /models runs in the browser on WebGPU (tessera), equal to onnxruntime-node', async ({ page }) => {
  const stamp = String(Date.now());
  const card = gwmCard(stamp);
  const bytes = gwmBytes();

  // (a) register the model through the registry page
  const models = new ModelsPage(page);
  await models.goto();
  await models.register('model.onnx', bytes, card);
  await expect(models.row(card.name)).toBeVisible();
  const registered = (await modelsApi.list()).find((m) => m.name === card.name && m.version === stamp);
  expect(registered, 'the model is listed by models.list').toBeTruthy();
  expect(registered!.unsupportedOps).toEqual([]);

  // (b) the crop as a study, through the upload page
  const { studyId, bytes: cropBytes } = await uploadCrop(page, `E2E model crop ${stamp}`);

  // (c) pick the model, Browser, Run
  const viewer = new ViewerPage(page);
  await viewer.goto(studyId);
  await expect(page.getByTestId('run-on')).toHaveAttribute('data-webgpu', 'available', { timeout: 60_000 });
  await expect(viewer.modelSelect.locator(`option[value="${registered!.id}"]`)).toContainText('tessera engine');
  const before = await api.runsList({ studyId });
  await viewer.runModel(registered!.id, 'browser');
  const created = await newRunAfter(studyId, before);
  expect(created).toMatchObject({ location: 'browser', runner: 'tessera', device: 'webgpu' });
  await expect(viewer.modelRunProgress).toBeVisible();
  const stored = await waitForRun(created.id, 420_000);
  expect(stored.error).toBeNull();
  expect(stored.status).toBe('succeeded');

  // (d) the stored Run: computed in the browser by the tessera engine on WebGPU, nothing delegated
  expect(stored).toMatchObject({ location: 'browser', runner: 'tessera', device: 'webgpu' });
  expect(stored.adapter).toBeTruthy();
  expect(stored.adapter!.toLowerCase()).toMatch(/swiftshader|google/);
  expect(stored.pipeline).toBe(`model:${card.name}`);
  expect(stored).toMatchObject({ modelId: registered!.id, modelVersion: stamp });
  expect(param(stored, 'model')).toMatchObject({ id: registered!.id, name: card.name, version: stamp });
  expect(timing(stored, 'delegated')).toBe(0);
  expect(timing(stored, 'tiles')).toBeGreaterThanOrEqual(1);
  expect(param(stored, 'fallbackReason') ?? null).toBeNull();

  // ... and its class map equals onnxruntime-node's on the same crop, prepared the same way
  const got = await storedClassMap(stored.id);
  const want = await ortNodeClassMap(bytes, card, cropBytes);
  const agree = agreement(got, want);
  const hist = histogram(want);
  console.log(`[08] GWM ${CROP}³ tessera/webgpu (${stored.adapter}) vs onnxruntime-node: ${(100 * agree).toFixed(4)} % equal; classes ${JSON.stringify([...hist])}`);
  expect(agree).toBeGreaterThanOrEqual(0.999);
  for (const c of [0, 1, 2]) expect(hist.get(c) ?? 0, `class ${c} present in the reference`).toBeGreaterThan(100);

  // the panel shows the finished Run's runner/device/adapter and the tile progress
  await expect(viewer.modelRunDevice).toHaveAttribute('data-runner', 'tessera');
  await expect(viewer.modelRunDevice).toHaveAttribute('data-device', 'webgpu');
  await expect(viewer.modelRunDevice).toContainText(`Browser · tessera · WebGPU · ${stored.adapter}`);
  await expect(page.getByTestId('model-run-tiles')).toHaveText(`· tile ${timing(stored, 'tiles')}/${timing(stored, 'tiles')}`);

  // instances: the server's connected components per class, listed with class names
  expect(stored.instanceCount).toBeGreaterThan(0);
  const rows = await api.instancesList({ runId: stored.id });
  expect(rows).toHaveLength(stored.instanceCount!);
  for (const r of rows) expect(['white matter', 'grey matter']).toContain(r.className);
  await expect(page.getByTestId('run-select')).toHaveValue(stored.id);
  await expect(page.getByTestId('run-select').locator('option:checked')).toContainText(`${card.name} v${stamp}`);
  await expect(page.getByTestId('run-model')).toHaveText(`${card.name} v${stamp}`);
  await expect(page.getByTestId('run-model')).toHaveAttribute('data-model-id', registered!.id);
  await expect(viewer.rows).toHaveCount(stored.instanceCount!);
  await expect(viewer.rows.first()).toContainText(/white matter|grey matter/);

  // overlay: the class map coloured by the card's classes, background (class 0) transparent
  await viewer.waitLabelsLoaded();
  await expect(page.getByTestId('class-legend-item')).toHaveCount(2);
  await viewer.setOpacity(1);
  await expect.poll(() => viewer.countColor([0x00, 0xa0, 0xff]), { message: 'white-matter pixels' }).toBeGreaterThan(50);
  await expect.poll(() => viewer.countColor([0xff, 0x20, 0x80]), { message: 'grey-matter pixels' }).toBeGreaterThan(50);
  expect(await viewer.countColor([0x00, 0xff, 0x00]), 'background class is not drawn').toBe(0);
  await viewer.overlayToggle.uncheck();
  await expect.poll(() => viewer.countColor([0xff, 0x20, 0x80])).toBe(0);
});

test('a model with an op the engine lacks falls back to onnxruntime-web (wasm) in the browser, equal to onnxruntime-node', async ({ page }) => {
  const stamp = String(Date.now());
  const { studyId, bytes: cropBytes } = await uploadCropApi(`E2E fallback crop ${stamp}`);
  const card = erfCard(stamp);
  const bytes = erfModel();
  const reg = await registerModel(bytes, card);
  expect(reg.unsupportedOps).toEqual(['Erf']);

  // onnxruntime-web's WebAssembly binary comes from this origin (app/api/ort), not a CDN.
  const wasmResponses: { url: string; status: number; type: string | undefined }[] = [];
  page.on('response', (r) => {
    if (/\.wasm(\?|$)/.test(r.url())) wasmResponses.push({ url: r.url(), status: r.status(), type: r.headers()['content-type'] });
  });
  const viewer = new ViewerPage(page);
  await viewer.goto(studyId);
  await expect(page.getByTestId('run-on')).toHaveAttribute('data-webgpu', 'available', { timeout: 60_000 });
  await expect(viewer.modelSelect.locator(`option[value="${reg.id}"]`)).toContainText('onnxruntime (unsupported: Erf)');
  const before = await api.runsList({ studyId });
  await viewer.runModel(reg.id, 'browser');
  const created = await newRunAfter(studyId, before);
  const stored = await waitForRun(created.id, 300_000);
  expect(stored.error).toBeNull();
  expect(stored.status).toBe('succeeded');
  // onnxruntime-web's wasm backend is stored as device 'cpu' with executionProvider 'wasm'
  expect(stored).toMatchObject({ location: 'browser', runner: 'onnxruntime-web', device: 'cpu', adapter: null });
  expect(param(stored, 'executionProvider')).toBe('wasm');
  expect(String(param(stored, 'fallbackReason'))).toMatch(/Erf/);
  expect(param(stored, 'unsupportedOps')).toEqual(['Erf']);
  await expect(page.getByTestId('model-run-fallback')).toContainText('Erf');
  await expect(viewer.modelRunDevice).toHaveAttribute('data-runner', 'onnxruntime-web');
  await expect(viewer.modelRunDevice).toContainText('Browser · onnxruntime-web · WebAssembly');
  expect(wasmResponses).toEqual([{ url: `${E2E_BASE_URL}/api/ort/ort-wasm-simd-threaded.wasm`, status: 200, type: 'application/wasm' }]);

  const got = await storedClassMap(stored.id);
  const want = await ortNodeClassMap(bytes, card, cropBytes);
  const agree = agreement(got, want);
  const hist = histogram(want);
  console.log(`[08] Erf model onnxruntime-web/wasm vs onnxruntime-node: ${(100 * agree).toFixed(4)} % equal; classes ${JSON.stringify([...hist])}`);
  expect(agree).toBeGreaterThanOrEqual(0.999);
  expect(hist.size, 'the reference has more than one class').toBeGreaterThan(1);

  // The same model through the panel's "Server" choice: onnxruntime-node on the server (auto).
  const before2 = await api.runsList({ studyId });
  await viewer.runModel(reg.id, 'server');
  const created2 = await newRunAfter(studyId, before2);
  const server = await waitForRun(created2.id, 300_000);
  expect(server.error).toBeNull();
  expect(server).toMatchObject({ status: 'succeeded', location: 'server', runner: 'onnxruntime-node' });
  await expect(viewer.modelRunDevice).toHaveAttribute('data-location', 'server');
  await expect(viewer.modelRunDevice).toContainText('Server · onnxruntime-node');
  await expect(page.getByTestId('run-select')).toHaveValue(server.id);
  const serverMap = await storedClassMap(server.id);
  expect(agreement(serverMap, want)).toBeGreaterThanOrEqual(0.999);
  expect(server.instanceCount).toBe(stored.instanceCount);
});

test('without WebGPU in the page, a browser model run falls back to onnxruntime-web (wasm) and says why', async ({ page }) => {
  // This page's navigator has no WebGPU (as in browsers without it).
  await page.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true });
  });
  const stamp = String(Date.now());
  const card = gwmCard(`nogpu-${stamp}`);
  const bytes = gwmBytes();
  const reg = await registerModel(bytes, card);
  expect(reg.unsupportedOps).toEqual([]);
  const { studyId, bytes: cropBytes } = await uploadCropApi(`E2E no-WebGPU crop ${stamp}`);

  const viewer = new ViewerPage(page);
  await viewer.goto(studyId);
  await expect(page.getByTestId('run-on')).toHaveAttribute('data-webgpu', 'unavailable', { timeout: 60_000 });
  await expect(page.getByTestId('model-run-on')).toHaveAttribute('data-run-on', 'server');
  const before = await api.runsList({ studyId });
  await viewer.runModel(reg.id, 'browser');
  const created = await newRunAfter(studyId, before);
  const stored = await waitForRun(created.id, 300_000);
  expect(stored.error).toBeNull();
  expect(stored).toMatchObject({ status: 'succeeded', location: 'browser', runner: 'onnxruntime-web', device: 'cpu', adapter: null });
  expect(param(stored, 'executionProvider')).toBe('wasm');
  expect(String(param(stored, 'fallbackReason'))).toMatch(/no WebGPU adapter/);
  await expect(page.getByTestId('model-run-fallback')).toContainText('no WebGPU adapter');

  // The GWM declares fixed 256³ dims: onnxruntime-web ran it on the 48³ crop with free spatial dims.
  const got = await storedClassMap(stored.id);
  const want = await ortNodeClassMap(bytes, card, cropBytes);
  const agree = agreement(got, want);
  console.log(`[08] GWM ${CROP}³ onnxruntime-web/wasm (no WebGPU) vs onnxruntime-node: ${(100 * agree).toFixed(4)} % equal`);
  expect(agree).toBeGreaterThanOrEqual(0.999);
});
