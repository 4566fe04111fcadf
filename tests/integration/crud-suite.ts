/** CRUD of every model through Prisma, shared by the SQLite and PostgreSQL tests. */
import { expect } from 'vitest';
import type { Db } from '@/server/db/client';

export async function exerciseAllModels(db: Db): Promise<void> {
  const tag = Math.random().toString(36).slice(2, 8);
  // User + ApiToken
  const user = await db.user.create({ data: { email: `u-${tag}@example.org`, name: 'Ada' } });
  const token = await db.apiToken.create({ data: { userId: user.id, name: 'ci', tokenHash: `h-${tag}` } });
  expect(token.revokedAt).toBeNull();
  await expect(db.apiToken.create({ data: { userId: user.id, name: 'dup', tokenHash: `h-${tag}` } })).rejects.toThrow();
  const used = new Date('2030-01-02T03:04:05.678Z');
  await db.apiToken.update({ where: { id: token.id }, data: { lastUsedAt: used } });
  expect((await db.apiToken.findUniqueOrThrow({ where: { tokenHash: `h-${tag}` } })).lastUsedAt?.toISOString()).toBe(used.toISOString());

  // Project + Study (Json meta round trip)
  const project = await db.project.create({ data: { slug: `p-${tag}`, name: 'P' } });
  const meta = { shape: [4, 5, 6], spacing: [0.5, 0.5, 1], datatype: 'uint16', orientation: 'RAS', units: 'mm', nested: { ok: true } };
  const study = await db.study.create({ data: { projectId: project.id, kind: 'volume', name: 'S', modality: 'CT', meta } });
  const readStudy = await db.study.findUniqueOrThrow({ where: { id: study.id } });
  expect(readStudy.meta).toEqual(meta);
  expect(readStudy.createdAt).toBeInstanceOf(Date);
  await db.study.update({ where: { id: study.id }, data: { name: 'S2' } });
  expect((await db.study.findUniqueOrThrow({ where: { id: study.id } })).name).toBe('S2');

  // Asset (BigInt sizes beyond 2^31)
  const asset = await db.asset.create({
    data: { studyId: study.id, role: 'original', sha256: 'a'.repeat(64), bytes: BigInt(3) * BigInt(2 ** 31), mediaType: 'application/gzip', filename: 'x.nii.gz' },
  });
  expect((await db.asset.findUniqueOrThrow({ where: { id: asset.id } })).bytes).toBe(BigInt(3) * BigInt(2 ** 31));

  // Run (+ Json params/timings, floats)
  const run = await db.run.create({
    data: {
      studyId: study.id, pipeline: 'classical-cells', version: '1', params: { smooth: 1 }, location: 'server',
      runner: 'tessera', device: 'cpu', status: 'queued',
    },
  });
  expect(run.progress).toBe(0);
  await db.run.update({ where: { id: run.id }, data: { status: 'succeeded', progress: 0.625, timings: { smooth: 1.5 }, instanceCount: 2 } });
  const r2 = await db.run.findUniqueOrThrow({ where: { id: run.id } });
  expect([r2.status, r2.progress, r2.timings, r2.instanceCount]).toEqual(['succeeded', 0.625, { smooth: 1.5 }, 2]);

  // Instance: createMany, unique (runId, labelId), review update
  const inst = (labelId: number) => ({
    runId: run.id, labelId, voxels: 10 * labelId, volume: 2.5 * labelId, centroidX: 1.25, centroidY: 2, centroidZ: 3,
    worldX: -1.5, worldY: 0, worldZ: 9.75, bboxMinX: 0, bboxMinY: 1, bboxMinZ: 2, bboxMaxX: 3, bboxMaxY: 4, bboxMaxZ: 5,
  });
  expect((await db.instance.createMany({ data: [inst(1), inst(2)] })).count).toBe(2);
  await expect(db.instance.create({ data: inst(1) })).rejects.toThrow();
  const i1 = await db.instance.findUniqueOrThrow({ where: { runId_labelId: { runId: run.id, labelId: 1 } } });
  expect([i1.review, i1.className, i1.score, i1.centroidX, i1.worldZ]).toEqual(['proposed', 'nucleus', null, 1.25, 9.75]);
  await db.instance.update({ where: { id: i1.id }, data: { review: 'accepted', score: 0.5 } });
  expect((await db.instance.findUniqueOrThrow({ where: { id: i1.id } })).review).toBe('accepted');

  // Model (Json card + unsupportedOps, BigInt bytes, unique (name, version)); Run.modelId SET NULL on delete
  const card = { name: `m-${tag}`, version: '1', output: { classes: [{ id: 0, name: 'background', colour: '#000000' }] } };
  const model = await db.model.create({
    data: { name: `m-${tag}`, version: '1', task: 'segmentation', card, sha256: 'b'.repeat(64), bytes: BigInt(5) * BigInt(2 ** 31), licence: 'MIT', unsupportedOps: ['Abs'] },
  });
  const readModel = await db.model.findUniqueOrThrow({ where: { name_version: { name: `m-${tag}`, version: '1' } } });
  expect([readModel.id, readModel.card, readModel.unsupportedOps, readModel.bytes]).toEqual([model.id, card, ['Abs'], BigInt(5) * BigInt(2 ** 31)]);
  await expect(db.model.create({ data: { name: `m-${tag}`, version: '1', task: 'nuclei', card: {}, sha256: 'c'.repeat(64), bytes: BigInt(1), licence: 'x', unsupportedOps: [] } })).rejects.toThrow();
  const modelRun = await db.run.create({
    data: {
      studyId: study.id, pipeline: `model:m-${tag}`, version: '1', params: {}, location: 'server', runner: 'onnxruntime-node', device: 'cpu',
      status: 'succeeded', modelId: model.id, modelVersion: '1',
    },
  });
  expect((await db.model.findUniqueOrThrow({ where: { id: model.id }, include: { runs: true } })).runs.map((r) => r.id)).toEqual([modelRun.id]);
  await db.model.delete({ where: { id: model.id } });
  const orphan = await db.run.findUniqueOrThrow({ where: { id: modelRun.id } });
  expect([orphan.modelId, orphan.modelVersion, orphan.pipeline]).toEqual([null, '1', `model:m-${tag}`]);

  // Transactions roll back
  await expect(
    db.$transaction(async (tx) => {
      await tx.study.create({ data: { projectId: project.id, kind: 'volume', name: 'rolled back', meta: {} } });
      throw new Error('boom');
    }),
  ).rejects.toThrow('boom');
  expect(await db.study.count({ where: { name: 'rolled back' } })).toBe(0);

  // Cascades: deleting the study removes runs, instances, assets; deleting the user removes tokens
  await db.study.delete({ where: { id: study.id } });
  expect(await db.run.count({ where: { id: run.id } })).toBe(0);
  expect(await db.instance.count({ where: { runId: run.id } })).toBe(0);
  expect(await db.asset.count({ where: { id: asset.id } })).toBe(0);
  await db.user.delete({ where: { id: user.id } });
  expect(await db.apiToken.count({ where: { id: token.id } })).toBe(0);
  await db.project.delete({ where: { id: project.id } });
}
