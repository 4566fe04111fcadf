import { vi, describe, it, expect, beforeEach, afterEach } from 'vitest';
vi.mock('server-only', () => ({}));
import { TesseraError } from '@/lib/errors';
import { readNifti } from '@/lib/formats/nifti';
import { sha256Hex } from '@/server/blob/local';
import { createVolumeStudyFromUpload, deleteStudy, getStudy, listStudies } from '@/server/services/studies';
import { blobFiles, countRows, smallNifti, sqliteEnv, type TestEnv } from './helpers';

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

describe('createVolumeStudyFromUpload', () => {
  it('creates a Study and its original Asset holding the identical bytes', async () => {
    const bytes = smallNifti({ gzip: true });
    const copy = bytes.slice();
    const { studyId, assetId } = await createVolumeStudyFromUpload(env, bytes, { filename: 'scan.nii.gz', modality: 'CT' });
    expect(bytes).toEqual(copy); // input untouched
    const study = await getStudy(env, studyId);
    expect(study).toMatchObject({ id: studyId, name: 'scan', kind: 'volume', modality: 'CT', runs: [] });
    expect(study.meta).toMatchObject({ shape: [8, 6, 4], spacing: [0.5, 0.5, 1], datatype: 'uint16', units: 'mm', gzip: true });
    expect(typeof study.meta.orientation).toBe('string');
    expect(study.assets).toHaveLength(1);
    const asset = study.assets[0];
    expect(asset).toMatchObject({ id: assetId, role: 'original', filename: 'scan.nii.gz', bytes: bytes.length, sha256: sha256Hex(bytes) });
    const stored = await env.blobs.get(asset.sha256);
    expect(Buffer.from(stored).equals(Buffer.from(bytes))).toBe(true);
    expect(readNifti(stored).volume.shape).toEqual([8, 6, 4]);
    expect((await listStudies(env)).map((s) => s.id)).toEqual([studyId]);
  });

  it('gives a content-matching extension and uses the given study name', async () => {
    const { studyId } = await createVolumeStudyFromUpload(env, smallNifti(), { filename: 'dir/plain', name: 'My scan' });
    const s = await getStudy(env, studyId);
    expect(s.name).toBe('My scan');
    expect(s.assets[0].filename).toBe('plain.nii');
    expect(s.assets[0].mediaType).toBe('application/octet-stream');
  });

  it('shares one blob between identical uploads and deletes it only with the last study', async () => {
    const bytes = smallNifti();
    const a = await createVolumeStudyFromUpload(env, bytes, { filename: 'a.nii' });
    const b = await createVolumeStudyFromUpload(env, bytes, { filename: 'b.nii' });
    expect(blobFiles(env.blobDir)).toHaveLength(1);
    await deleteStudy(env, a.studyId);
    expect(await env.blobs.has(sha256Hex(bytes))).toBe(true);
    await deleteStudy(env, b.studyId);
    await expectNothingStored();
    await expect(getStudy(env, a.studyId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  const bad: [string, () => Uint8Array, string[]][] = [
    ['not NIfTI', () => new TextEncoder().encode('hello, this is certainly not a NIfTI file at all'.repeat(20)), ['FORMAT_INVALID', 'FORMAT_UNSUPPORTED', 'TRUNCATED']],
    ['empty', () => new Uint8Array(0), ['FORMAT_INVALID', 'TRUNCATED']],
    ['truncated header', () => smallNifti().slice(0, 200), ['TRUNCATED', 'FORMAT_INVALID']],
    ['truncated data', () => { const b = smallNifti(); return b.slice(0, b.length - 10); }, ['TRUNCATED']],
    ['header claiming more data', () => {
      const b = smallNifti().slice();
      new DataView(b.buffer).setInt16(42, 400, true); // dim[1] (nx) 8 → 400
      return b;
    }, ['TRUNCATED', 'FORMAT_INVALID']],
    ['dims 0', () => {
      const b = smallNifti().slice();
      new DataView(b.buffer).setInt16(44, 0, true); // dim[2] = 0
      return b;
    }, ['FORMAT_INVALID', 'SHAPE_MISMATCH', 'INVALID_ARGUMENT']],
  ];
  for (const [what, make, codes] of bad) {
    it(`rejects ${what} with a typed error and stores nothing`, async () => {
      const err = await createVolumeStudyFromUpload(env, make(), { filename: 'bad.nii' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TesseraError);
      expect(codes).toContain((err as TesseraError).code);
      await expectNothingStored();
    });
  }

  it('rejects a missing filename', async () => {
    await expect(createVolumeStudyFromUpload(env, smallNifti(), { filename: '  ' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expectNothingStored();
  });

  it('leaves no orphan blob when the database step fails', async () => {
    const failing = { ...env, db: new Proxy(env.db, {
      get(target, prop, receiver) {
        if (prop === '$transaction') return async () => { throw new Error('database down'); };
        return Reflect.get(target, prop, receiver);
      },
    }) };
    await expect(createVolumeStudyFromUpload(failing, smallNifti(), { filename: 'x.nii' })).rejects.toThrow('database down');
    await expectNothingStored();
  });
});
