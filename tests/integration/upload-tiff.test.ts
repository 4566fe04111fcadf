/**
 * TIFF uploads (server/services/studies.ts): a TIFF z stack becomes a volume study whose 'original'
 * Asset is a NIfTI of the same voxels and µm spacing (what the viewer, the server jobs and browser
 * runs read) and whose 'source' Asset holds the uploaded TIFF bytes unchanged. Checked against the
 * PlantSeg ovule crop's sibling .nii.gz (converted by nibabel); broken / multi-channel TIFFs are
 * refused with a typed error and nothing stored; over HTTP the volume route serves the NIfTI and a
 * server segment-cells run on the study succeeds.
 */
import { vi, describe, it, expect, beforeEach, afterEach, beforeAll, afterAll } from 'vitest';
vi.mock('server-only', () => ({}));
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TesseraError } from '@/lib/errors';
import { readNifti, type NiftiImage } from '@/lib/formats/nifti';
import { sha256Hex } from '@/server/blob/local';
import { resetEnvForTests } from '@/server/env';
import { waitForJob } from '@/server/jobs/registry';
import { createStudyFromUpload, createVolumeStudyFromUpload, deleteStudy, getStudy } from '@/server/services/studies';
import { blobFiles, countRows, sqliteEnv, tempDir, type TestEnv } from './helpers';

const root = new URL('../../', import.meta.url).pathname;
const PLANTSEG = join(root, '../shared/data/cells/plantseg');
const FIXTURES = join(root, 'tests/fixtures/tiff');
const file = (p: string) => new Uint8Array(readFileSync(p));
const OVULE_TIF = file(join(PLANTSEG, 'sample_ovule_raw.tif'));
const OVULE_NII = readNifti(file(join(PLANTSEG, 'sample_ovule_raw.nii.gz')));

/** The stored volume equals nibabel's NIfTI of the same crop: voxels, type, spacing, affine. */
function expectSameVolume(got: NiftiImage, want: NiftiImage) {
  expect(got.volume.shape).toEqual(want.volume.shape);
  expect(got.volume.data.constructor).toBe(want.volume.data.constructor);
  let diff = 0;
  for (let i = 0; i < want.volume.data.length; i++) if (got.volume.data[i] !== want.volume.data[i]) diff++;
  expect(diff).toBe(0);
  expect(got.volume.spacing).toEqual(want.volume.spacing);
  expect(got.volume.affine).toEqual(want.volume.affine);
  expect(got.volume.units).toBe('um');
}

describe('TIFF upload (service)', () => {
  let env: TestEnv;
  beforeEach(async () => {
    env = await sqliteEnv();
  });
  afterEach(async () => {
    await env.cleanup();
  });

  async function expectNothingStored() {
    expect(await countRows(env.db)).toEqual({ studies: 0, assets: 0, runs: 0, instances: 0 });
    expect(blobFiles(env.blobDir)).toEqual([]);
  }

  it('sample_ovule_raw.tif: a volume study whose NIfTI equals the sibling .nii.gz, the TIFF kept as source', async () => {
    const bytes = OVULE_TIF.slice();
    const { studyId, assetId, kind } = await createStudyFromUpload(env, bytes, { filename: 'sample_ovule_raw.tif', modality: 'confocal' });
    expect(kind).toBe('volume');
    expect(Buffer.from(bytes).equals(Buffer.from(OVULE_TIF))).toBe(true); // input untouched
    const study = await getStudy(env, studyId);
    expect(study).toMatchObject({ name: 'sample_ovule_raw', kind: 'volume', modality: 'confocal' });
    expect(study.meta).toMatchObject({ format: 'tiff', shape: [128, 128, 32], datatype: 'uint8', units: 'um', orientation: 'RAS', sourceFilename: 'sample_ovule_raw.tif' });
    expect(study.meta.tiff).toMatchObject({ kind: 'imagej', channels: 1, slices: 32, sampleType: 'uint8' });
    expect(study.meta.spacing).toEqual(OVULE_NII.volume.spacing);

    expect(study.assets.map((a) => a.role).sort()).toEqual(['original', 'source']);
    const original = study.assets.find((a) => a.role === 'original')!;
    const source = study.assets.find((a) => a.role === 'source')!;
    expect(original).toMatchObject({ id: assetId, filename: 'sample_ovule_raw.nii.gz', mediaType: 'application/gzip' });
    expect(source).toMatchObject({ filename: 'sample_ovule_raw.tif', mediaType: 'image/tiff', bytes: OVULE_TIF.length, sha256: sha256Hex(OVULE_TIF) });
    expect(Buffer.from(await env.blobs.get(source.sha256)).equals(Buffer.from(OVULE_TIF))).toBe(true);
    expectSameVolume(readNifti(await env.blobs.get(original.sha256)), OVULE_NII);

    await deleteStudy(env, studyId);
    await expectNothingStored();
  });

  it('recognises a TIFF by its magic without an extension; identical uploads share blobs', async () => {
    const a = await createStudyFromUpload(env, OVULE_TIF, { filename: 'ovule' });
    const b = await createVolumeStudyFromUpload(env, OVULE_TIF, { filename: 'ovule-copy.TIFF' });
    expect(a.kind).toBe('volume');
    const s = await getStudy(env, a.studyId);
    expect(s.meta.format).toBe('tiff');
    expect(s.assets.find((x) => x.role === 'source')?.filename).toBe('ovule.tif');
    expect(s.assets.find((x) => x.role === 'original')?.filename).toBe('ovule.nii.gz');
    expect((await getStudy(env, b.studyId)).name).toBe('ovule-copy');
    expect(blobFiles(env.blobDir)).toHaveLength(2);
    await deleteStudy(env, a.studyId);
    expect(blobFiles(env.blobDir)).toHaveLength(2);
    await deleteStudy(env, b.studyId);
    await expectNothingStored();
  });

  const bad: [string, () => Uint8Array, string, string[]][] = [
    ['not a TIFF (bad byte-order mark)', () => file(join(FIXTURES, 'bad_magic.tif')), 'x.tif', ['FORMAT_INVALID']],
    ['truncated pixel data', () => file(join(FIXTURES, 'bad_truncated_data.tif')), 'x.tif', ['TRUNCATED', 'FORMAT_INVALID']],
    ['an IFD loop', () => file(join(FIXTURES, 'bad_ifd_loop.tif')), 'x.tif', ['FORMAT_INVALID']],
    ['JPEG compression', () => file(join(FIXTURES, 'bad_compression_jpeg.tif')), 'x.tif', ['FORMAT_UNSUPPORTED']],
    ['two channels', () => file(join(FIXTURES, 'imagej_2ch_uint8.tif')), 'x.tif', ['FORMAT_UNSUPPORTED']],
    ['the ovule cut in half', () => OVULE_TIF.slice(0, OVULE_TIF.length >> 1), 'ovule.tif', ['TRUNCATED', 'FORMAT_INVALID']],
    ['empty', () => new Uint8Array(0), 'x.tif', ['FORMAT_INVALID']],
  ];
  for (const [what, make, filename, codes] of bad) {
    it(`refuses ${what} with a typed error and stores nothing`, async () => {
      const err = await createStudyFromUpload(env, make(), { filename }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TesseraError);
      expect(codes).toContain((err as TesseraError).code);
      expect((err as TesseraError).where).toMatch(new RegExp(`^${filename.replace('.', '\\.')}`));
      await expectNothingStored();
    });
  }

  it('leaves no orphan blob (neither the NIfTI nor the TIFF) when the database step fails', async () => {
    const failing = {
      ...env,
      db: new Proxy(env.db, {
        get(target, prop, receiver) {
          if (prop === '$transaction') return async () => { throw new Error('database down'); };
          return Reflect.get(target, prop, receiver);
        },
      }),
    };
    await expect(createVolumeStudyFromUpload(failing, OVULE_TIF, { filename: 'x.tif' })).rejects.toThrow('database down');
    await expectNothingStored();
  });
});

describe('TIFF upload over HTTP: the viewer gets NIfTI, server runs work', () => {
  const dir = tempDir();
  beforeAll(() => {
    process.env.DATABASE_URL = `file:${join(dir, 'routes.db')}`;
    process.env.TESSERA_DATA_DIR = dir;
    process.env.TESSERA_BLOB_DIR = join(dir, 'blobs');
    resetEnvForTests();
  });
  afterAll(async () => {
    const { getDb } = await import('@/server/db/client');
    await getDb().$disconnect();
    rmSync(dir, { recursive: true, force: true });
  });
  const params = (id: string) => ({ params: Promise.resolve({ id }) });

  it('POST /api/upload (.tif) → GET /api/studies/:id/volume is the NIfTI → segment-cells run succeeds', async () => {
    const { POST } = await import('@/app/api/upload/route');
    const res = await POST(new Request('http://x/api/upload', {
      method: 'POST',
      body: OVULE_TIF as Uint8Array<ArrayBuffer>,
      headers: { 'content-type': 'application/octet-stream', 'x-filename': encodeURIComponent('ovule stack.tif') },
    }));
    expect(res.status).toBe(201);
    const { studyId, kind } = (await res.json()) as { studyId: string; kind: string };
    expect(kind).toBe('volume');

    const vol = await (await import('@/app/api/studies/[id]/volume/route')).GET(new Request('http://x'), params(studyId));
    expect(vol.status).toBe(200);
    expect(vol.headers.get('content-disposition')).toContain('ovule stack.nii.gz');
    expectSameVolume(readNifti(new Uint8Array(await vol.arrayBuffer())), OVULE_NII);

    const { getServerDeps } = await import('@/server/startup/deps');
    const { startSegmentCells } = await import('@/server/services/runs');
    const deps = getServerDeps();
    const { runId } = await startSegmentCells(deps, { studyId, device: 'cpu' });
    await waitForJob(runId);
    const run = await deps.db.run.findUniqueOrThrow({ where: { id: runId } });
    expect(run.error).toBeNull();
    expect(run.status).toBe('succeeded');
    expect(run.instanceCount).toBeGreaterThan(3);
  });
});
