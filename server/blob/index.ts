import { getEnv } from '../env';
import { LocalBlobStore } from './local';
import type { BlobStore } from './types';

export type { BlobRef, BlobStore } from './types';
export { LocalBlobStore, sha256Hex } from './local';

const g = globalThis as unknown as { __tesseraBlobs?: { root: string; store: BlobStore } };

/** The process-wide blob store (TESSERA_BLOB_DIR). */
export function getBlobStore(): BlobStore {
  const root = getEnv().TESSERA_BLOB_DIR;
  if (!g.__tesseraBlobs || g.__tesseraBlobs.root !== root) g.__tesseraBlobs = { root, store: new LocalBlobStore(root) };
  return g.__tesseraBlobs.store;
}
