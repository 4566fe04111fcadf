import type { BlobStore } from '../blob/types';
import type { Db } from '../db/client';

/** What every service needs; passed explicitly so tests can use their own database and blob folder. */
export interface ServiceDeps {
  db: Db;
  blobs: BlobStore;
}
