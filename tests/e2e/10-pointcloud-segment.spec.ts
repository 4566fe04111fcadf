import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { readPly, writePly } from '@/lib/formats/pointcloud';
import { VALIDATION_SEED_START, generateScene } from '@/lib/synth/scenes';
import { PointCloudPage } from './pages/PointCloudPage';
import { UploadPage } from './pages/UploadPage';
import { api, waitForRun } from './support/api';
import { E2E_BASE_URL } from './support/constants';
import { newRunAfter } from './support/runs';

/**
 * "Segment" on a point-cloud study, "Run on: Browser (WebGPU)": the PointNet++ instance model
 * computed in the page (segmentPointsGpu on Chromium's SwiftShader WebGPU), its result posted as a
 * TPR1 body and stored by the server. The stored Run must say location 'browser', runner 'tessera',
 * device 'webgpu' and name the adapter (a browser without an adapter fails this test). Then "Run
 * on: Server" (pointclouds.segment, device 'cpu') from the same panel: the viewer switches to that
 * run's labels, and the two stored runs agree on ≥ 99 % of the points after a one-to-one IoU
 * matching of their instances. Saves docs/screenshots/pointcloud-segment.png.
 */

test.setTimeout(600_000);

const SEED = VALIDATION_SEED_START + 4242;
const scene = generateScene({ seed: SEED, kind: 'tabletop', points: 40_000 });
const n = scene.cloud.count;

/** Per-point instance ids of a run, read back from its labelled PLY. */
async function runInstances(studyId: string, runId: string): Promise<Int32Array> {
  const r = await fetch(`${E2E_BASE_URL}/api/studies/${studyId}/labeled.ply?labels=${runId}`);
  expect(r.status).toBe(200);
  expect(r.headers.get('x-tessera-labels')).toBe(`run:${runId}`);
  const ply = readPly(new Uint8Array(await r.arrayBuffer()));
  expect(ply.count).toBe(n);
  return ply.labels!.instance;
}

/**
 * One-to-one matching of the instances of `a` and `b` (greedy by point IoU, highest first), then
 * the share of points whose instances correspond: over the points in an instance in either
 * labelling (`strict`) and over all points (`all`, no-instance points agreeing when both are 0).
 */
function sameInstanceAfterMatching(a: Int32Array, b: Int32Array): { strict: number; all: number; pairs: number } {
  const inter = new Map<string, number>();
  const sa = new Map<number, number>(), sb = new Map<number, number>();
  for (let i = 0; i < a.length; i++) {
    if (a[i] > 0) sa.set(a[i], (sa.get(a[i]) ?? 0) + 1);
    if (b[i] > 0) sb.set(b[i], (sb.get(b[i]) ?? 0) + 1);
    if (a[i] > 0 && b[i] > 0) inter.set(`${a[i]}:${b[i]}`, (inter.get(`${a[i]}:${b[i]}`) ?? 0) + 1);
  }
  const cands = [...inter].map(([k, c]) => {
    const [x, y] = k.split(':').map(Number);
    return { x, y, iou: c / (sa.get(x)! + sb.get(y)! - c) };
  });
  cands.sort((p, q) => q.iou - p.iou);
  const toB = new Map<number, number>(), usedB = new Set<number>();
  for (const c of cands) {
    if (toB.has(c.x) || usedB.has(c.y)) continue;
    toB.set(c.x, c.y);
    usedB.add(c.y);
  }
  let union = 0, agreeUnion = 0, agreeAll = 0;
  for (let i = 0; i < a.length; i++) {
    const same = a[i] === 0 ? b[i] === 0 : toB.get(a[i]) === b[i];
    if (same) agreeAll++;
    if (a[i] > 0 || b[i] > 0) {
      union++;
      if (same) agreeUnion++;
    }
  }
  return { strict: union === 0 ? 1 : agreeUnion / union, all: agreeAll / a.length, pairs: toB.size };
}

test('Segment a point cloud in the browser on WebGPU and on the server: same instances, device recorded', async ({ page }) => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-pcseg-e2e-'));
  const file = join(dir, `scene_${SEED}.ply`);
  writeFileSync(file, writePly(scene.cloud)); // no labels: the instances come from the runs only
  try {
    const upload = new UploadPage(page);
    await upload.goto();
    await page.getByTestId('upload-name').fill(`E2E segment ${Date.now()}`);
    await upload.input.setInputFiles(file);
    const studyId = await upload.uploadedStudyId();
    expect((await api.studiesGet({ id: studyId })).meta).toMatchObject({ points: n });

    const pc = new PointCloudPage(page);
    await pc.goto(studyId);
    await expect(pc.table).toHaveAttribute('data-rows', '0');

    // WebGPU is available in this Chromium (SwiftShader): Browser is the default and shows the adapter.
    await expect(pc.runOn).toHaveAttribute('data-webgpu', 'available', { timeout: 60_000 });
    await expect(pc.runOn).toHaveAttribute('data-run-on', 'browser');
    await expect(pc.adapter).toContainText(/WebGPU · .+/);

    // --- browser run ---
    const before = await api.runsList({ studyId });
    const t0 = Date.now();
    await pc.segmentButton.click();
    const created = await newRunAfter(studyId, before);
    expect(created).toMatchObject({ location: 'browser', runner: 'tessera', device: 'webgpu' });
    await expect(pc.runProgress).toBeVisible();
    const browserRun = await waitForRun(created.id, 540_000);
    const browserMs = Date.now() - t0;
    expect(browserRun.error).toBeNull();
    expect(browserRun.status).toBe('succeeded');
    // From the stored Run: computed in the browser on WebGPU (not the CPU twin), adapter recorded.
    expect(browserRun).toMatchObject({ location: 'browser', runner: 'tessera', device: 'webgpu', pipeline: 'pointnet2-instances' });
    expect(browserRun.adapter).toBeTruthy();
    expect(browserRun.adapter!.trim()).not.toBe('');
    expect(browserRun.timings).toMatchObject({ network: expect.any(Number), cluster: expect.any(Number), totalMs: expect.any(Number) });
    expect(browserRun.instanceCount).toBeGreaterThan(0);
    expect(await api.instancesList({ runId: browserRun.id })).toHaveLength(browserRun.instanceCount!);

    // the panel shows the finished run's device, runner and adapter; the viewer shows its labels
    await expect(pc.runStatus).toHaveText('succeeded');
    await expect(pc.runDevice).toHaveAttribute('data-location', 'browser');
    await expect(pc.runDevice).toHaveAttribute('data-device', 'webgpu');
    await expect(pc.runDevice).toHaveAttribute('data-runner', 'tessera');
    await expect(pc.runDevice).toHaveAttribute('data-adapter', browserRun.adapter!);
    await expect(pc.runDevice).toContainText(`Browser · tessera · WebGPU · ${browserRun.adapter}`);
    await expect(pc.runDone).toHaveAttribute('data-instances', String(browserRun.instanceCount));
    await pc.waitLabelsOfRun(browserRun.id, browserRun.instanceCount!);
    await expect.poll(async () => (await pc.state())?.colourMode).toBe('instance');
    await page.mouse.move(0, 0);
    await page.screenshot({ path: 'docs/screenshots/pointcloud-segment.png', fullPage: true });

    // --- the same study on the server, from the panel's "Server" choice (device cpu) ---
    await pc.runOnChoose('server', 'cpu');
    const before2 = await api.runsList({ studyId });
    await pc.segmentButton.click();
    const created2 = await newRunAfter(studyId, before2);
    const serverRun = await waitForRun(created2.id, 300_000);
    expect(serverRun.error).toBeNull();
    expect(serverRun).toMatchObject({ status: 'succeeded', location: 'server', runner: 'tessera', device: 'cpu', pipeline: 'pointnet2-instances' });
    await expect(pc.runDevice).toHaveAttribute('data-location', 'server');
    await expect(pc.runDevice).toHaveAttribute('data-device', 'cpu');
    // the viewer switches to the server run's labels: its instance count in the table
    await pc.waitLabelsOfRun(serverRun.id, serverRun.instanceCount!);
    expect(await api.instancesList({ runId: serverRun.id })).toHaveLength(serverRun.instanceCount!);

    // --- same instances: ≥ 99 % of the points after matching ---
    const a = await runInstances(studyId, browserRun.id);
    const b = await runInstances(studyId, serverRun.id);
    const m = sameInstanceAfterMatching(a, b);
    console.log(
      `[10] ${n} points; browser ${browserRun.device}/${browserRun.adapter}: ${browserRun.instanceCount} instances in ${browserMs} ms (${JSON.stringify(browserRun.timings)}); ` +
        `server ${serverRun.device}: ${serverRun.instanceCount} instances (${JSON.stringify(serverRun.timings)}); ` +
        `same instance after matching: ${(100 * m.strict).toFixed(3)} % of instance points, ${(100 * m.all).toFixed(3)} % of all points, ${m.pairs} pairs`,
    );
    expect(m.strict).toBeGreaterThanOrEqual(0.99);
    expect(m.all).toBeGreaterThanOrEqual(0.99);
    expect(Math.abs(browserRun.instanceCount! - serverRun.instanceCount!)).toBeLessThanOrEqual(1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
