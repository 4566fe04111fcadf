import { getBlobStore } from '../blob';
import { getDb } from '../db/client';
import type { ServiceDeps } from '../services/deps';

/** The process-wide database and blob store. */
export function getServerDeps(): ServiceDeps {
  return { db: getDb(), blobs: getBlobStore() };
}
