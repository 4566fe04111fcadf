/**
 * Point-cloud studies through the route handlers (SQLite + a temp blob folder): every file of
 * ../shared/data/pointclouds that the readers accept uploads as a 'pointcloud' study whose meta
 * matches the reader (and refs.json for the PCDs' invalid points); files the readers reject, and
 * malformed files, answer a typed error and store nothing (rows and blob files counted); the points
 * route returns exactly the reader's positions / colours / labels; the labelled PLY and instance
 * tables round-trip against an independent per-instance computation.
 */
import { vi, describe, it, expect, beforeAll, afterAll } from 'vitest';
vi.mock('server-only', () => ({}));
import { readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { isTesseraError } from '@/lib/errors';
import { readPly, readPointCloud, writePly, type PointCloud } from '@/lib/formats/pointcloud';
import { generateScene } from '@/lib/synth/scenes';
import { resetEnvForTests } from '@/server/env';
import { decodePointsPayload } from '@/lib/formats/pointcloud/points-format';
import { sha256Hex } from '@/server/blob/local';
import refs from '../fixtures/pointcloud/refs.json';
import { blobFiles, smallNifti, tempDir } from './helpers';

const DATA = join(__dirname, '../../../shared/data/pointclouds');

function allFiles(dir: string): string[] {
  const out: string[] = [];
  for (const f of readdirSync(dir).sort()) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) out.push(...allFiles(p));
    else out.push(p);
  }
  return out;
}

const bytesEqual = (a: ArrayBufferView, b: ArrayBufferView) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** Per-instance count / centroid / bounds by plain filtering (the test's own reference). */
function bruteInstances(cloud: PointCloud, instance: Int32Array) {
  const ids = [...new Set(Array.from(instance).filter((v) => v > 0))].sort((a, b) => a - b);
  return ids.map((id) => {
    const pts: number[][] = [];
    for (let i = 0; i < cloud.count; i++) {
      const p = [cloud.positions[3 * i], cloud.positions[3 * i + 1], cloud.positions[3 * i + 2]];
      if (instance[i] === id && p.every(Number.isFinite)) pts.push(p);
    }
    const mean = [0, 1, 2].map((k) => pts.reduce((s, p) => s + p[k], 0) / pts.length);
    const min = [0, 1, 2].map((k) => Math.min(...pts.map((p) => p[k])));
    const max = [0, 1, 2].map((k) => Math.max(...pts.map((p) => p[k])));
    return { id, points: pts.length, centroid: mean, min, max };
  });
}

describe('point-cloud studies through the routes', () => {
  const dir = tempDir();
  const blobDir = join(dir, 'blobs');
  beforeAll(async () => {
    process.env.DATABASE_URL = `file:${join(dir, 'pc.db')}`;
    process.env.TESSERA_DATA_DIR = dir;
    process.env.TESSERA_BLOB_DIR = blobDir;
    process.env.TESSERA_MAX_UPLOAD_MB = '64';
    resetEnvForTests();
    await (await import('@/server/startup/boot')).ensureBooted();
  });
  afterAll(async () => {
    const { getDb } = await import('@/server/db/client');
    await getDb().$disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  const upload = async (body: Uint8Array, filename: string, name?: string) => {
    const { POST } = await import('@/app/api/upload/route');
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream', 'x-filename': encodeURIComponent(filename) };
    if (name) headers['x-study-name'] = encodeURIComponent(name);
    return POST(new Request('http://x/api/upload', { method: 'POST', body: body as Uint8Array<ArrayBuffer>, headers }));
  };
  const params = (id: string) => ({ params: Promise.resolve({ id }) });
  const get = async (route: 'points' | 'labeled.ply' | 'instances.json' | 'instances.csv', id: string, query = '') => {
    const mod = await import(`@/app/api/studies/[id]/${route}/route`);
    return (mod as { GET: (r: Request, p: ReturnType<typeof params>) => Promise<Response> }).GET(new Request(`http://x/api/studies/${id}/${route}${query}`), params(id));
  };
  const deps = async () => (await import('@/server/startup/deps')).getServerDeps();
  const counts = async () => {
    const { db } = await deps();
    return { studies: await db.study.count(), assets: await db.asset.count(), blobs: blobFiles(blobDir).length };
  };

  const files = allFiles(DATA);
  it('finds the shared point clouds', () => {
    expect(files.filter((f) => /\.(ply|pcd)$/.test(f)).length).toBe(19);
  });

  for (const file of files) {
    const rel = relative(DATA, file);
    it(`upload ${rel}`, async () => {
      const bytes = new Uint8Array(readFileSync(file));
      const name = rel.split('/').pop()!;
      let ref: PointCloud | null = null;
      let refErr: unknown = null;
      try {
        ref = readPointCloud(bytes, name);
      } catch (e) {
        refErr = e;
      }
      const before = await counts();
      const res = await upload(bytes, name);
      if (!ref) {
        // the readers refuse it (e.g. headerless .bin / .label arrays): typed error, nothing stored
        expect(isTesseraError(refErr)).toBe(true);
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        const body = (await res.json()) as { error: { code: string; hint: string | null } };
        if (!/\.(nii|gz)$/.test(name) && /\.(ply|pcd|las|laz|xyz|csv|txt)$/.test(name)) {
          expect(body.error.code).toBe((refErr as { code: string }).code);
        }
        expect(body.error.code).toMatch(/FORMAT|TRUNCATED|INVALID/);
        expect(await counts()).toEqual(before);
        return;
      }
      expect(res.status).toBe(201);
      const { studyId, kind } = (await res.json()) as { studyId: string; kind: string };
      expect(kind).toBe('pointcloud');
      const { getStudy } = await import('@/server/services/studies');
      const study = await getStudy(await deps(), studyId);
      expect(study.kind).toBe('pointcloud');
      const m = study.meta as Record<string, unknown>;
      expect(m.points).toBe(ref.count);
      expect(m.fields).toEqual({
        colours: !!ref.colors, normals: !!ref.normals, intensity: !!ref.intensity, labels: Object.keys(ref.labels ?? {}),
      });
      expect(m.bounds).toEqual({ min: ref.bounds.min, max: ref.bounds.max });
      expect(m.organised).toEqual(ref.organized ?? null);
      const pcdRef = (refs as Record<string, { count: number; valid: number }>)[name];
      if (pcdRef) {
        expect(m.points).toBe(pcdRef.count);
        expect(m.invalid).toBe(pcdRef.count - pcdRef.valid);
      } else {
        expect(m.invalid).toBe(0);
      }
      // original bytes unchanged in the blob store
      expect(study.assets).toHaveLength(1);
      expect(study.assets[0]).toMatchObject({ role: 'original', filename: name, sha256: sha256Hex(bytes), bytes: bytes.length });
      expect(bytesEqual(await (await deps()).blobs.get(study.assets[0].sha256), bytes)).toBe(true);

      // the viewer's binary: exactly the reader's positions (NaN bit patterns included), colours, labels
      const pr = await get('points', studyId);
      expect(pr.status).toBe(200);
      const p = decodePointsPayload(await pr.arrayBuffer());
      expect(p.count).toBe(ref.count);
      expect(bytesEqual(p.positions, ref.positions)).toBe(true);
      if (ref.colors) expect(bytesEqual(p.colors!, ref.colors)).toBe(true);
      else expect(p.colors).toBeUndefined();
      if (ref.labels?.label) {
        // ShapeNetPart: the plain `label` property is the file's ground truth (instance ids)
        expect(p.source).toBe('file');
        expect(pr.headers.get('x-tessera-labels')).toBe('file');
        expect(Array.from(p.instance!)).toEqual(Array.from(ref.labels.label));
        expect((m.groundTruth as { instanceField: string }).instanceField).toBe('label');
      } else {
        expect(p.source).toBe('none');
        expect(p.instance).toBeUndefined();
      }
    });
  }

  const malformed: [string, string, () => Uint8Array, RegExp][] = [
    ['PLY cut short in its body', 'cut.ply', () => readFileSync(join(DATA, 'shapenetpart_cap/shapenetpart_cap_test_00.ply')).subarray(0, 5000), /TRUNCATED/],
    ['PLY without end_header', 'nohead.ply', () => new TextEncoder().encode('ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\n'), /FORMAT|TRUNCATED/],
    ['PLY without x/y/z', 'noxyz.ply', () => new TextEncoder().encode('ply\nformat ascii 1.0\nelement vertex 1\nproperty float a\nend_header\n1\n'), /FORMAT/],
    ['PCD claiming more points', 'more.pcd', () => new TextEncoder().encode('VERSION .7\nFIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nCOUNT 1 1 1\nWIDTH 5\nHEIGHT 1\nPOINTS 5\nDATA ascii\n1 2 3\n'), /FORMAT|TRUNCATED/],
    ['XYZ with a word', 'words.xyz', () => new TextEncoder().encode('1 2 3\n4 five 6\n'), /FORMAT/],
    ['empty CSV', 'empty.csv', () => new Uint8Array(0), /FORMAT|TRUNCATED/],
    ['LAS header only', 'short.las', () => new TextEncoder().encode('LASF' + 'x'.repeat(100)), /FORMAT|TRUNCATED/],
  ];
  for (const [what, name, make, code] of malformed) {
    it(`rejects ${what} with a typed error and stores nothing`, async () => {
      const before = await counts();
      const res = await upload(make(), name);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      const body = (await res.json()) as { error: { code: string; message: string; where: string | null; hint: string | null } };
      expect(body.error.code).toMatch(code);
      expect(body.error.where).toBeTruthy();
      expect(body.error.hint).toBeTruthy();
      expect(await counts()).toEqual(before);
    });
  }

  it('still uploads NIfTI as a volume study', async () => {
    const res = await upload(smallNifti(), 'vol.nii');
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ kind: 'volume' });
    const pr = await get('points', ((await (await deps()).db.study.findFirstOrThrow({ where: { kind: 'volume' } })).id));
    expect(pr.status).toBe(400);
  });

  it('labelled PLY and instance tables of a generated scene round-trip', async () => {
    const scene = generateScene({ seed: 5, kind: 'tabletop', objects: [6, 6], points: 6000 });
    const bytes = writePly(scene.cloud, { instance: scene.instance, classId: scene.classId, format: 'ascii', comments: ['classes 0=background 1=box 2=cylinder 3=sphere 4=torus 5=mug 6=bottle'] });
    const res = await upload(bytes, 'scene.ply', 'Scene 5');
    expect(res.status).toBe(201);
    const { studyId } = (await res.json()) as { studyId: string };

    const ply = await get('labeled.ply', studyId);
    expect(ply.status).toBe(200);
    expect(ply.headers.get('content-disposition')).toContain('scene_labeled.ply');
    const back = readPly(new Uint8Array(await ply.arrayBuffer()));
    expect(back.count).toBe(scene.cloud.count);
    expect(bytesEqual(back.positions, scene.cloud.positions)).toBe(true); // same points, same order
    expect(bytesEqual(back.colors!, scene.cloud.colors!)).toBe(true);
    expect(Array.from(back.labels!.instance)).toEqual(Array.from(scene.instance));
    expect(Array.from(back.labels!.class)).toEqual(Array.from(scene.classId));

    const json = (await (await get('instances.json', studyId)).json()) as {
      source: string; instances: { id: number; classId: number; className: string; points: number; centroid: number[]; min: number[]; max: number[]; extent: number[]; score: null }[];
    };
    expect(json.source).toBe('file');
    const brute = bruteInstances(scene.cloud, scene.instance);
    expect(json.instances.map((r) => r.id)).toEqual(brute.map((b) => b.id));
    expect(json.instances.map((r) => r.id)).toEqual(scene.objects.map((o) => o.id).filter((id) => scene.objects.find((o) => o.id === id)!.points > 0));
    for (const [k, r] of json.instances.entries()) {
      const b = brute[k];
      const obj = scene.objects.find((o) => o.id === r.id)!;
      expect(r.points).toBe(b.points);
      expect(r.points).toBe(obj.points);
      expect(r.classId).toBe(obj.classId);
      expect(r.className).toBe(obj.class);
      expect(r.score).toBeNull();
      for (let a = 0; a < 3; a++) {
        expect(r.centroid[a]).toBeCloseTo(b.centroid[a], 9);
        expect(r.min[a]).toBe(b.min[a]);
        expect(r.max[a]).toBe(b.max[a]);
        expect(r.extent[a]).toBeCloseTo(b.max[a] - b.min[a], 12);
      }
    }
    const csv = (await (await get('instances.csv', studyId)).text()).trim().split('\n');
    expect(csv[0]).toBe('instance_id,class_id,class_name,score,points,centroid_x,centroid_y,centroid_z,min_x,min_y,min_z,max_x,max_y,max_z,extent_x,extent_y,extent_z');
    expect(csv).toHaveLength(json.instances.length + 1);
    expect(csv[1].split(',').slice(0, 5)).toEqual([String(json.instances[0].id), String(json.instances[0].classId), json.instances[0].className, '', String(json.instances[0].points)]);

    const bad = await get('points', studyId, '?labels=' + encodeURIComponent('x'.repeat(100)));
    expect(bad.status).toBe(400);
    const noRun = await get('points', studyId, '?labels=nope');
    expect(noRun.status).toBe(404);
  });
});
