/**
 * `tessera segment-points` (CLI) and the server run `pointclouds.segment` (tRPC → createPointCloudRun
 * → in-process job → storePointCloudRunResult): the labelled PLY keeps every input point in order and
 * carries the same instances / classes as `segmentPoints` on the same cloud; `--device gpu` without
 * an adapter exits 2 with one line and writes nothing; a 'gpu' server run without an adapter fails
 * with GPU_UNAVAILABLE instead of falling back.
 */
import { vi, describe, it, expect, beforeAll, afterAll, beforeEach, afterEach } from 'vitest';
vi.mock('server-only', () => ({}));
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPly, writePly } from '@/lib/formats/pointcloud';
import { segmentPoints } from '@/lib/pointnet/model';
import { VALIDATION_SEED_START, generateScene } from '@/lib/synth/scenes';
import { createCaller } from '@/server/api/root';
import { createContextFor } from '@/server/api/context';
import { waitForJob } from '@/server/jobs/registry';
import { createPointCloudStudyFromUpload, labelledPly } from '@/server/services/pointclouds';
import { listInstances } from '@/server/services/instances';
import { committedModel } from '../unit/pointnet-model-helpers';
import { sqliteEnv, type TestEnv } from './helpers';

const root = join(import.meta.dirname, '../..');
const NO_ICD = '/nonexistent/tessera-no-such-icd.json';

function tessera(args: string[], env: Record<string, string | undefined> = {}) {
  const e: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete e[k];
  const r = spawnSync(process.execPath, [join(root, 'bin/tessera.mjs'), ...args], { cwd: root, encoding: 'utf8', timeout: 180_000, env: e });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const scene = generateScene({ seed: VALIDATION_SEED_START + 77, kind: 'tabletop', points: 30_000 });
const sceneBytes = writePly(scene.cloud);

describe('tessera segment-points', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-segpts-'));
    writeFileSync(join(dir, 'scene.ply'), sceneBytes);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes every input point in order with instance and class, equal to segmentPoints; --json stats', () => {
    const out = join(dir, 'labeled.ply'), json = join(dir, 'stats.json');
    const r = tessera(['segment-points', join(dir, 'scene.ply'), '--out', out, '--json', json]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^segment-points: \d+ instances in 30000 points, \d+ ms \(device: cpu, runner: tessera\)/);
    const ply = readPly(new Uint8Array(readFileSync(out)));
    expect(ply.count).toBe(scene.cloud.count);
    expect(Array.from(ply.positions)).toEqual(Array.from(scene.cloud.positions));
    const want = segmentPoints(scene.cloud, committedModel());
    expect(Array.from(ply.labels!.instance)).toEqual(Array.from(want.instance));
    expect(Array.from(ply.labels!.class)).toEqual(Array.from(want.classIds));
    const stats = JSON.parse(readFileSync(json, 'utf8'));
    expect(stats.device).toBe('cpu');
    expect(stats.points).toBe(30_000);
    expect(stats.instanceCount).toBe(want.instances.length);
    expect(stats.instances).toEqual(JSON.parse(JSON.stringify(want.instances)));
  });

  it('--device gpu without an adapter exits 2 with one error line and writes nothing', () => {
    const out = join(dir, 'gpu.ply');
    const r = tessera(['segment-points', join(dir, 'scene.ply'), '--out', out, '--device', 'gpu'], { VK_ICD_FILENAMES: NO_ICD });
    expect(r.code).toBe(2);
    const lines = r.err.split('\n').filter((l) => l.startsWith('error:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/adapter|Dawn/i);
    expect(existsSync(out)).toBe(false);
  });

  it('rejects bad arguments with exit 2', () => {
    expect(tessera(['segment-points', join(dir, 'scene.ply'), '--out', join(dir, 'x.ply'), '--device', 'tpu']).code).toBe(2);
    expect(tessera(['segment-points', '--out', join(dir, 'x.ply')]).code).toBe(2);
  });
});

describe('tRPC pointclouds.segment (server run)', () => {
  let env: TestEnv;
  beforeEach(async () => {
    env = await sqliteEnv();
  });
  afterEach(async () => {
    await env.cleanup();
  });

  it('device cpu: stores the labelled PLY and one Instance row per instance, with scores', async () => {
    const caller = createCaller(await createContextFor(env));
    const { studyId } = await createPointCloudStudyFromUpload(env, sceneBytes, { filename: 'scene.ply' });
    const { runId } = await caller.pointclouds.segment({ studyId, device: 'cpu' });
    await waitForJob(runId);
    const run = await env.db.run.findUniqueOrThrow({ where: { id: runId } });
    expect(run.status, run.error ?? '').toBe('succeeded');
    expect(run.device).toBe('cpu');
    expect(run.pipeline).toBe('pointnet2-instances');
    const want = segmentPoints(scene.cloud, committedModel());
    expect(run.instanceCount).toBe(want.instances.length);
    const ply = await labelledPly(env, studyId, runId);
    const got = readPly(ply.bytes);
    expect(Array.from(got.labels!.instance)).toEqual(Array.from(want.instance));
    expect(Array.from(got.labels!.class)).toEqual(Array.from(want.classIds));
    const rows = await listInstances(env, runId);
    expect(rows.length).toBe(want.instances.length);
    for (const inst of want.instances) {
      const row = rows.find((x) => x.labelId === inst.id)!;
      expect(row.score).toBeCloseTo(inst.score, 5);
      expect(row.className).toBe(inst.className);
    }
  });

  it("device 'gpu' without an adapter: the run fails with GPU_UNAVAILABLE, no result", async () => {
    const prev = process.env.VK_ICD_FILENAMES;
    process.env.VK_ICD_FILENAMES = NO_ICD;
    try {
      const caller = createCaller(await createContextFor(env));
      const { studyId } = await createPointCloudStudyFromUpload(env, sceneBytes, { filename: 'scene.ply' });
      const { runId } = await caller.pointclouds.segment({ studyId, device: 'gpu' });
      await waitForJob(runId);
      const run = await env.db.run.findUniqueOrThrow({ where: { id: runId } });
      expect(run.status).toBe('failed');
      expect(run.error).toMatch(/device 'gpu' was requested/);
      expect(run.labelAssetId).toBeNull();
    } finally {
      if (prev === undefined) delete process.env.VK_ICD_FILENAMES;
      else process.env.VK_ICD_FILENAMES = prev;
    }
  });

  it('rejects an unknown study and a bad device at the edge', async () => {
    const caller = createCaller(await createContextFor(env));
    await expect(caller.pointclouds.segment({ studyId: 'nope', device: 'cpu' })).rejects.toThrow();
    // @ts-expect-error device is validated by Zod
    await expect(caller.pointclouds.segment({ studyId: 'x', device: 'tpu' })).rejects.toThrow();
  });
});
