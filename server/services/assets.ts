import type { ServiceDeps } from './deps';
import { notFound } from './errors';
import { toAssetSummary, type AssetSummary } from './serialize';

/** Deletes blobs no Asset row refers to any more (content addresses can be shared). */
export async function collectGarbageBlobs(deps: ServiceDeps, sha256s: Iterable<string>): Promise<number> {
  let removed = 0;
  for (const sha256 of new Set(sha256s)) {
    const refs = await deps.db.asset.count({ where: { sha256 } });
    if (refs === 0 && (await deps.blobs.delete(sha256))) removed++;
  }
  return removed;
}

export async function getAsset(deps: ServiceDeps, id: string): Promise<AssetSummary> {
  const a = await deps.db.asset.findUnique({ where: { id } });
  if (!a) throw notFound('asset', id);
  return toAssetSummary(a);
}
