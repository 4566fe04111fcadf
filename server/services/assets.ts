import type { ServiceDeps } from './deps';
import { notFound } from './errors';
import { toAssetSummary, type AssetSummary } from './serialize';

/** How many rows refer to the blob: Assets (volumes, labels) and Models (ONNX bytes). */
export async function blobReferences(deps: Pick<ServiceDeps, 'db'>, sha256: string): Promise<number> {
  return (await deps.db.asset.count({ where: { sha256 } })) + (await deps.db.model.count({ where: { sha256 } }));
}

/**
 * Deletes the blobs that no Asset and no Model row refers to any more (content addresses can be
 * shared, also between a study's file and a registered model). Returns how many were removed.
 */
export async function collectGarbageBlobs(deps: ServiceDeps, sha256s: Iterable<string>): Promise<number> {
  let removed = 0;
  for (const sha256 of new Set(sha256s)) {
    if ((await blobReferences(deps, sha256)) === 0 && (await deps.blobs.delete(sha256))) removed++;
  }
  return removed;
}

export async function getAsset(deps: ServiceDeps, id: string): Promise<AssetSummary> {
  const a = await deps.db.asset.findUnique({ where: { id } });
  if (!a) throw notFound('asset', id);
  return toAssetSummary(a);
}
