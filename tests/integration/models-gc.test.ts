/**
 * Blob garbage collection counts Model rows: a model's ONNX bytes live in the blob store under
 * their sha256, and the same content address may also be an Asset's (content-addressed storage
 * shares identical bytes). Collecting after a study is deleted must keep a blob a model still
 * refers to; the blob goes once neither a Model nor an Asset refers to it.
 */
import { vi, describe, it, expect, beforeAll, afterAll } from 'vitest';
vi.mock('server-only', () => ({}));
import { collectGarbageBlobs, blobReferences } from '@/server/services/assets';
import { deleteModel, getModelBytes, registerModel } from '@/server/services/models';
import { createVolumeStudyFromUpload, deleteStudy } from '@/server/services/studies';
import { blobFiles, smallNifti, sqliteEnv, type TestEnv } from './helpers';
import { tinyCard, tinyModel } from './models-fixtures';

let env: TestEnv;

beforeAll(async () => {
  env = await sqliteEnv();
});
afterAll(async () => {
  await env?.cleanup();
});

/** Byte-equal (a Buffer and a Uint8Array with the same bytes are the same). */
const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0 && a.byteLength > 0;
const hasBlob = (sha256: string) => blobFiles(env.blobDir).some((f) => f.endsWith(sha256));

/**
 * A registered tiny model (`classes` output channels) and a new study with an Asset of the very
 * same content address (e.g. the model file attached to the study).
 */
async function modelAndStudySharingBytes(name: string, classes: number) {
  const bytes = tinyModel({ out: classes });
  const { id: modelId, sha256 } = await registerModel(env, bytes, tinyCard(name, classes));
  const { studyId } = await createVolumeStudyFromUpload(env, smallNifti(), { filename: `${name}.nii` });
  await env.db.asset.create({
    data: { studyId, role: 'attachment', sha256, bytes: BigInt(bytes.byteLength), filename: 'model.onnx', mediaType: 'application/octet-stream' },
  });
  return { bytes, modelId, sha256, studyId };
}

describe('collectGarbageBlobs and models', () => {
  it('keeps a blob only a Model refers to', async () => {
    const bytes = tinyModel({ out: 2 });
    const { id, sha256 } = await registerModel(env, bytes, tinyCard('gc-only-model', 2));
    expect(await blobReferences(env, sha256)).toBe(1);
    expect(await collectGarbageBlobs(env, [sha256])).toBe(0);
    expect(hasBlob(sha256)).toBe(true);
    expect(same((await getModelBytes(env, id)).bytes, bytes)).toBe(true);

    await deleteModel(env, id);
    expect(await blobReferences(env, sha256)).toBe(0);
    expect(hasBlob(sha256)).toBe(false);
  });

  it('deleting a study whose asset shares the bytes of a model keeps the model blob; it goes with the model', async () => {
    const { bytes, modelId, sha256, studyId } = await modelAndStudySharingBytes('gc-shared', 3);
    expect(await blobReferences(env, sha256)).toBe(2);
    const studyBlobs = (await env.db.asset.findMany({ where: { studyId, NOT: { sha256 } }, select: { sha256: true } })).map((a) => a.sha256);
    expect(studyBlobs.length).toBeGreaterThan(0);

    await deleteStudy(env, studyId);
    // The study's own blobs are gone; the one the model still refers to stays and still reads.
    for (const s of studyBlobs) expect(hasBlob(s), s).toBe(false);
    expect(await blobReferences(env, sha256)).toBe(1);
    expect(hasBlob(sha256)).toBe(true);
    expect(same((await getModelBytes(env, modelId)).bytes, bytes)).toBe(true);

    await deleteModel(env, modelId);
    expect(hasBlob(sha256)).toBe(false);
  });

  it('deleting the model keeps the blob while an Asset still refers to it', async () => {
    const { bytes, modelId, sha256, studyId } = await modelAndStudySharingBytes('gc-asset-stays', 4);
    await deleteModel(env, modelId);
    expect(hasBlob(sha256)).toBe(true);
    expect(same(await env.blobs.get(sha256), bytes)).toBe(true);
    await deleteStudy(env, studyId);
    expect(hasBlob(sha256)).toBe(false);
  });
});
