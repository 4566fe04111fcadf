import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { readPly, writePly } from '@/lib/formats/pointcloud';
import { CLASS_IDS, generateScene } from '@/lib/synth/scenes';
import { instanceColor } from '@/lib/ui/palette';
import { PointCloudPage } from './pages/PointCloudPage';
import { UploadPage } from './pages/UploadPage';
import { StudiesPage } from './pages/StudiesPage';
import { api } from './support/api';

/**
 * Point-cloud study pages: a generated tabletop scene (lib/synth/scenes) written as a labelled PLY to
 * a temp file, uploaded through the upload page, viewed with three.js (point count from the viewer's
 * test hook, colour modes checked on the canvas pixels), a click on a point of a known instance
 * selecting its table row, a row click centring the orbit target on the centroid, an instance hidden
 * and shown again, and the labelled PLY / CSV downloads read back. Saves
 * docs/screenshots/pointcloud-viewer.png.
 */

test.setTimeout(240_000);

const SEED = 11;
const scene = generateScene({ seed: SEED, kind: 'tabletop', objects: [7, 7], touching: 2 });
const n = scene.cloud.count;
const classesComment = `classes 0=background ${Object.entries(CLASS_IDS).map(([k, v]) => `${v}=${k}`).join(' ')}`;

function pointsOf(id: number): [number, number, number][] {
  const out: [number, number, number][] = [];
  const p = scene.cloud.positions;
  for (let i = 0; i < n; i++) if (scene.instance[i] === id) out.push([p[3 * i], p[3 * i + 1], p[3 * i + 2]]);
  return out;
}

/**
 * Client coordinates of a point of instance `id` that a click would pick: its points nearest the
 * camera, projected by the viewer's hook, the first whose pick (hook.pickScreen) is that instance.
 */
async function visiblePointOf(pc: PointCloudPage, id: number): Promise<[number, number] | null> {
  const cam = await pc.cameraPosition();
  const d2 = (p: number[]) => (p[0] - cam[0]) ** 2 + (p[1] - cam[1]) ** 2 + (p[2] - cam[2]) ** 2;
  const candidates = pointsOf(id).sort((a, b) => d2(a) - d2(b)).slice(0, 60);
  const box = (await pc.canvas.boundingBox())!;
  for (const p of candidates) {
    const s = await pc.project(p);
    if (!s || s[0] < box.x + 4 || s[1] < box.y + 4 || s[0] > box.x + box.width - 4 || s[1] > box.y + box.height - 4) continue;
    if ((await pc.pickScreen(s[0], s[1])) === id) return s;
  }
  return null;
}

test('a labelled point cloud: upload, view, pick, hide, download', async ({ page }) => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-pc-e2e-'));
  const file = join(dir, `scene_${SEED}.ply`);
  writeFileSync(file, writePly(scene.cloud, { instance: scene.instance, classId: scene.classId, comments: [classesComment] }));
  try {
    // --- upload through the page ---
    const upload = new UploadPage(page);
    await upload.goto();
    const name = `E2E scene ${Date.now()}`;
    await page.getByTestId('upload-name').fill(name);
    await upload.input.setInputFiles(file);
    const studyId = await upload.uploadedStudyId();
    const study = await api.studiesGet({ id: studyId });
    expect(study).toMatchObject({ kind: 'pointcloud', name });
    expect(study.meta).toMatchObject({ format: 'ply', points: n, invalid: 0, fields: { colours: true, labels: ['instance', 'class'] } });

    // listed with its point count
    const studies = new StudiesPage(page);
    await studies.goto();
    await expect(studies.study(studyId)).toContainText(`${n.toLocaleString('en-US')} points`);
    await expect(studies.study(studyId).getByTestId('study-kind')).toHaveText('point cloud');
    await studies.open(studyId);

    // --- the viewer draws every point in one THREE.Points ---
    const pc = new PointCloudPage(page);
    await pc.waitReady();
    await expect.poll(async () => (await pc.state())?.drawn).toBe(n);
    expect(await pc.state()).toMatchObject({ points: n, valid: n, colourMode: 'instance', selected: null, hidden: [] });
    const objects = scene.objects.filter((o) => o.points > 0);
    await expect(pc.table.locator('tbody tr')).toHaveCount(objects.length);
    for (const o of objects) await expect(pc.row(o.id)).toContainText(o.class);

    // --- colour modes: instance colours are exact palette colours; RGB mode shows the file's colours ---
    const [big, other] = [...objects].sort((a, b) => b.points - a.points);
    const inInstance = await pc.countColour(instanceColor(big.id));
    expect(inInstance).toBeGreaterThan(50);
    expect(await pc.countColour(instanceColor(other.id))).toBeGreaterThan(20);
    await pc.setColourMode('class');
    await expect.poll(() => pc.countColour(instanceColor(big.classId))).toBeGreaterThan(50);
    await pc.setColourMode('rgb');
    await expect.poll(() => pc.countColour(instanceColor(big.id))).toBeLessThan(inInstance / 10);
    await pc.setColourMode('instance');
    await expect.poll(() => pc.countColour(instanceColor(big.id))).toBe(inInstance);

    // point size
    await pc.pointSize.fill('3');
    await expect.poll(async () => (await pc.state())?.pointSize).toBe(3);

    // --- click a point of a known instance: its row highlights ---
    const at = await visiblePointOf(pc, big.id);
    expect(at, `a visible point of instance ${big.id}`).not.toBeNull();
    await page.mouse.click(at![0], at![1]);
    await expect(pc.row(big.id)).toHaveAttribute('data-selected', 'true');
    await expect(pc.row(big.id)).toHaveClass(/selected/);
    await expect(pc.selected).toHaveAttribute('data-instance-id', String(big.id));
    await expect(pc.selected).toContainText(big.class);
    expect((await pc.state())?.selected).toBe(big.id);
    // selected: its palette colour stays, the other instances are dimmed
    expect(await pc.countColour(instanceColor(big.id))).toBeGreaterThan(50);
    expect(await pc.countColour(instanceColor(other.id))).toBe(0);

    // --- a row click selects and centres the orbit target on the instance's centroid ---
    const table = (await (await page.request.get(`/api/studies/${studyId}/instances.json?labels=file`)).json()) as { instances: { id: number; centroid: number[]; points: number }[] };
    const otherRow = table.instances.find((r) => r.id === other.id)!;
    await pc.row(other.id).click();
    await expect(pc.row(other.id)).toHaveAttribute('data-selected', 'true');
    await expect(pc.row(big.id)).toHaveAttribute('data-selected', 'false');
    await expect.poll(async () => (await pc.target()).map((v, k) => Math.abs(v - otherRow.centroid[k])).every((e) => e < 1e-4)).toBe(true);

    // --- hide / show an instance ---
    await pc.visibleBox(big.id).uncheck();
    await expect.poll(async () => (await pc.state())?.drawn).toBe(n - big.points);
    expect((await pc.state())?.hidden).toEqual([big.id]);
    await expect(pc.row(big.id)).toHaveAttribute('data-visible', 'false');
    await pc.visibleBox(big.id).check();
    await expect.poll(async () => (await pc.state())?.drawn).toBe(n);

    // --- downloads: labelled PLY in the input's point order, instance CSV ---
    const [plyDl] = await Promise.all([page.waitForEvent('download'), pc.downloadPly.click()]);
    expect(plyDl.suggestedFilename()).toMatch(/_labeled\.ply$/);
    const back = readPly(new Uint8Array(readFileSync(await plyDl.path())));
    expect(back.count).toBe(n);
    expect(Buffer.from(back.positions.buffer).equals(Buffer.from(scene.cloud.positions.buffer))).toBe(true);
    expect(Array.from(back.labels!.instance)).toEqual(Array.from(scene.instance));
    expect(Array.from(back.labels!.class)).toEqual(Array.from(scene.classId));
    const [csvDl] = await Promise.all([page.waitForEvent('download'), pc.downloadCsv.click()]);
    const csv = readFileSync(await csvDl.path(), 'utf8').trim().split('\n');
    expect(csv[0]).toMatch(/^instance_id,class_id,class_name,score,points,centroid_x/);
    expect(csv).toHaveLength(objects.length + 1);
    expect(csv.slice(1).map((l) => Number(l.split(',')[4]))).toEqual(objects.sort((a, b) => a.id - b.id).map((o) => o.points));

    // --- screenshot for the docs: a fresh view, instance colours, one instance picked in 3D ---
    await pc.goto(studyId);
    await expect.poll(async () => (await pc.state())?.drawn).toBe(n);
    const pick = await visiblePointOf(pc, big.id);
    expect(pick).not.toBeNull();
    await page.mouse.click(pick![0], pick![1]);
    await expect(pc.row(big.id)).toHaveAttribute('data-selected', 'true');
    await page.mouse.move(0, 0);
    await page.screenshot({ path: 'docs/screenshots/pointcloud-viewer.png', fullPage: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a malformed point cloud is rejected on the upload page and nothing is stored', async ({ page }) => {
  const before = (await api.studiesList()).length;
  const bytes = writePly(scene.cloud, { instance: scene.instance, classId: scene.classId });
  const upload = new UploadPage(page);
  await upload.goto();
  await upload.upload('cut_scene.ply', bytes.subarray(0, bytes.length - 1000));
  await expect(upload.error).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('upload-error-code')).toHaveText('TRUNCATED');
  await expect(page.getByTestId('upload-error-hint')).not.toBeEmpty();
  expect((await api.studiesList()).length).toBe(before);
});

test('the demo point cloud is seeded and opens in the point-cloud viewer', async ({ page }) => {
  const demo = (await api.studiesList()).find((s) => s.kind === 'pointcloud' && s.name.startsWith('Sample scene'));
  expect(demo, 'seeded demo point cloud').toBeTruthy();
  const pc = new PointCloudPage(page);
  await pc.goto(demo!.id);
  await expect.poll(async () => (await pc.state())?.drawn).toBe((demo!.meta as { points: number }).points);
  await expect(pc.table.locator('tbody tr')).toHaveCount(8);
});

test('volume studies still open in the NiiVue viewer (the study page branches on kind)', async ({ page }) => {
  const volume = (await api.studiesList()).find((s) => s.kind === 'volume');
  expect(volume, 'a volume study (the seeded demo)').toBeTruthy();
  await page.goto(`/studies/${volume!.id}`);
  await expect(page.getByTestId('study-viewer')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('viewer')).toHaveAttribute('data-volume-loaded', 'true', { timeout: 60_000 });
  await expect(page.getByTestId('pointcloud-study')).toHaveCount(0);
});
