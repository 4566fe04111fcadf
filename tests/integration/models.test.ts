/**
 * Model registry (SQLite): registration through POST /api/models (route handler), the typed errors
 * that store nothing (rows + blobs counted), GET /api/models/:id/onnx, tRPC models.list/get/delete.
 */
import { vi, describe, it, expect, beforeAll, afterAll } from 'vitest';
vi.mock('server-only', () => ({}));
import { readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { GWM_PATH, gwmCard, tinyCard, tinyModel } from './models-fixtures';
import { resetEnvForTests } from '@/server/env';
import { createCaller } from '@/server/api/root';
import { createContextFor } from '@/server/api/context';
import { modelMaxBytes } from '@/server/services/models';
import { blobFiles, tempDir } from './helpers';

const dir = tempDir();
const blobDir = join(dir, 'blobs');
const gwmBytes = new Uint8Array(readFileSync(GWM_PATH));
const gwmSha = createHash('sha256').update(gwmBytes).digest('hex');

beforeAll(() => {
  process.env.DATABASE_URL = `file:${join(dir, 'models.db')}`;
  process.env.TESSERA_DATA_DIR = dir;
  process.env.TESSERA_BLOB_DIR = blobDir;
  delete process.env.TESSERA_MAX_MODEL_MB;
  resetEnvForTests();
});
afterAll(async () => {
  const { getDb } = await import('@/server/db/client');
  await getDb().$disconnect();
  rmSync(dir, { recursive: true, force: true });
});

async function post(model: Uint8Array | null, card: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const { POST } = await import('@/app/api/models/route');
  const form = new FormData();
  if (model) form.set('model', new Blob([model as Uint8Array<ArrayBuffer>]), 'model.onnx');
  if (card !== undefined) form.set('card', typeof card === 'string' ? card : JSON.stringify(card));
  const res = await POST(new Request('http://x/api/models', { method: 'POST', body: form }));
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function deps() {
  const { getServerDeps } = await import('@/server/startup/deps');
  return getServerDeps();
}
async function counts() {
  const d = await deps();
  return { models: await d.db.model.count(), blobs: blobFiles(blobDir).length };
}
async function caller() {
  return createCaller(await createContextFor(await deps()));
}

describe('POST /api/models', () => {
  let gwmId = '';

  it('registers the GWM MeshNet: 201, bytes in the blob store, card stored with its sha256, runs on the engine', async () => {
    const { ensureBooted } = await import('@/server/startup/boot');
    await ensureBooted(); // migrations, and the bundled models (models/nuclei, models/cells) registered
    const base = await counts();
    expect(blobFiles(blobDir)).not.toContain(join(gwmSha.slice(0, 2), gwmSha));
    const res = await post(gwmBytes, gwmCard({ sha256: gwmSha }));
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: expect.any(String), sha256: gwmSha, unsupportedOps: [] });
    gwmId = res.body.id as string;
    expect(await counts()).toEqual({ models: base.models + 1, blobs: base.blobs + 1 });
    expect(blobFiles(blobDir)).toContain(join(gwmSha.slice(0, 2), gwmSha));

    const list = (await (await caller()).models.list()).filter((m) => m.name === 'meshnet-gwm');
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      id: gwmId, name: 'meshnet-gwm', version: '1', task: 'segmentation', licence: 'BSD-2-Clause', sha256: gwmSha,
      bytes: gwmBytes.byteLength, unsupportedOps: [], createdAt: expect.any(String),
    });
    expect(list[0].card).toEqual({ ...gwmCard(), sha256: gwmSha });
    expect(await (await caller()).models.get({ id: gwmId })).toEqual(list[0]);
  });

  it('serves the identical bytes with ETag = sha256 and answers If-None-Match with 304', async () => {
    const { GET } = await import('@/app/api/models/[id]/onnx/route');
    const params = (id: string) => ({ params: Promise.resolve({ id }) });
    const res = await GET(new Request('http://x'), params(gwmId));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('etag')).toBe(`"${gwmSha}"`);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(gwmBytes);
    const again = await GET(new Request('http://x', { headers: { 'if-none-match': `"${gwmSha}"` } }), params(gwmId));
    expect(again.status).toBe(304);
    expect((await GET(new Request('http://x'), params('nope'))).status).toBe(404);
  });

  it('rejects bad requests with typed errors and stores nothing', async () => {
    const before = await counts();
    const cases: { name: string; model: Uint8Array | null; card: unknown; status: number; code: string; where?: RegExp; message: RegExp }[] = [
      { name: 'duplicate', model: gwmBytes, card: gwmCard(), status: 409, code: 'CONFLICT', where: /card\.version/, message: /meshnet-gwm version 1 is already registered/ },
      { name: 'not ONNX', model: new TextEncoder().encode('definitely not a protobuf model'), card: gwmCard({ version: '2' }), status: 400, code: 'FORMAT_INVALID', where: /^model/, message: /not a readable ONNX model/ },
      { name: 'truncated ONNX', model: gwmBytes.slice(0, 4000), card: gwmCard({ version: '2' }), status: 400, code: 'TRUNCATED', message: /not a readable ONNX model/ },
      { name: 'wrong channels', model: gwmBytes, card: gwmCard({ version: '2', input: { ...gwmCard().input, channels: 3 } }), status: 400, code: 'SHAPE_MISMATCH', where: /card\.input\.channels/, message: /3 input channel\(s\) .* takes 1/ },
      { name: 'wrong class count', model: gwmBytes, card: gwmCard({ version: '2', output: { ...gwmCard().output, classes: gwmCard().output.classes.slice(0, 2) } }), status: 400, code: 'SHAPE_MISMATCH', where: /card\.output\.classes/, message: /2 class\(es\) .* 3 channels/ },
      { name: 'sha mismatch', model: gwmBytes, card: gwmCard({ version: '2', sha256: 'f'.repeat(64) }), status: 400, code: 'INVALID_ARGUMENT', where: /card\.sha256/, message: /does not match/ },
      { name: 'invalid card', model: gwmBytes, card: { ...gwmCard({ version: '2' }), task: 'astrology' }, status: 400, code: 'INVALID_ARGUMENT', where: /^card$/, message: /task/ },
      { name: 'card not JSON', model: gwmBytes, card: '{ nope', status: 400, code: 'INVALID_ARGUMENT', where: /^card$/, message: /not valid JSON/ },
      { name: 'no file', model: null, card: gwmCard({ version: '2' }), status: 400, code: 'INVALID_ARGUMENT', where: /^model$/, message: /missing the model file/ },
      { name: 'no card', model: gwmBytes, card: undefined, status: 400, code: 'INVALID_ARGUMENT', where: /^card$/, message: /missing the model card/ },
      { name: 'empty file', model: new Uint8Array(0), card: gwmCard({ version: '2' }), status: 400, code: 'FORMAT_INVALID', message: /empty/ },
    ];
    for (const c of cases) {
      const res = await post(c.model, c.card);
      const err = res.body.error as { code: string; message: string; where: string | null; hint: string | null };
      expect({ name: c.name, status: res.status, code: err?.code }).toEqual({ name: c.name, status: c.status, code: c.code });
      expect(err.message, c.name).toMatch(c.message);
      if (c.where) expect(err.where, c.name).toMatch(c.where);
      expect(err.hint, c.name).toBeTruthy();
      expect(await counts(), c.name).toEqual(before);
    }
  });

  it('413 past TESSERA_MAX_MODEL_MB, storing nothing', async () => {
    const before = await counts();
    process.env.TESSERA_MAX_MODEL_MB = '0.01';
    try {
      expect(modelMaxBytes()).toBe(Math.floor(0.01 * 2 ** 20));
      const res = await post(gwmBytes, gwmCard({ version: 'big' }));
      expect(res.status).toBe(413);
      expect(await counts()).toEqual(before);
    } finally {
      delete process.env.TESSERA_MAX_MODEL_MB;
    }
    expect(modelMaxBytes()).toBe(200 * 2 ** 20);
  });

  it('records ops the engine lacks instead of rejecting, and infers undeclared output channels', async () => {
    const abs = await post(tinyModel({ out: 2, tail: 'Abs' }), tinyCard('tiny-abs', 2));
    expect(abs.status).toBe(201);
    expect(abs.body.unsupportedOps).toEqual(['Abs']);
    expect((await (await caller()).models.get({ id: abs.body.id as string })).unsupportedOps).toEqual(['Abs']);

    // No declared output shape: the engine's planner infers 4 channels, so 3 classes are refused …
    const before = await counts();
    const wrong = await post(tinyModel({ out: 4, declareOutput: false }), tinyCard('tiny-undeclared', 3));
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toMatchObject({ code: 'SHAPE_MISMATCH', where: 'card.output.classes' });
    expect(await counts()).toEqual(before);
    // … and an empty class list is filled with class0..class3.
    const filled = await post(tinyModel({ out: 4, declareOutput: false }), tinyCard('tiny-undeclared', 0));
    expect(filled.status).toBe(201);
    const m = await (await caller()).models.get({ id: filled.body.id as string });
    expect(m.card.output.classes.map((c) => c.name)).toEqual(['background', 'class1', 'class2', 'class3']);
  });

  it('the same bytes under two versions share one blob; deleting one keeps it, deleting both removes it', async () => {
    const bytes = tinyModel({ out: 2 });
    const a = await post(bytes, tinyCard('shared', 2));
    const b = await post(bytes, { ...tinyCard('shared', 2), version: '2' });
    expect([a.status, b.status]).toEqual([201, 201]);
    const sha = a.body.sha256 as string;
    const has = () => blobFiles(blobDir).includes(join(sha.slice(0, 2), sha));
    expect(has()).toBe(true);
    // a duplicate of an existing version must not remove the shared blob either
    expect((await post(bytes, tinyCard('shared', 2))).status).toBe(409);
    expect(has()).toBe(true);
    const c = await caller();
    expect(await c.models.delete({ id: a.body.id as string })).toEqual({ deleted: true, runsKept: 0 });
    expect(has()).toBe(true);
    await c.models.delete({ id: b.body.id as string });
    expect(has()).toBe(false);
    await expect(c.models.get({ id: a.body.id as string })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(c.models.delete({ id: a.body.id as string })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
