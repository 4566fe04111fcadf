/** Content-addressed byte storage. LocalBlobStore implements it on disk; an S3 store can later. */
import type { Readable } from 'node:stream';

export interface BlobRef {
  /** hex sha256 of the bytes: the blob's address. */
  sha256: string;
  bytes: number;
}

export interface BlobStore {
  /** Stores the bytes (idempotent: same bytes, same address, stored once). */
  put(bytes: Uint8Array): Promise<BlobRef>;
  /** The bytes; throws NOT_FOUND (TesseraError) when absent. */
  get(sha256: string): Promise<Uint8Array>;
  has(sha256: string): Promise<boolean>;
  /** Removes the blob; false when it was absent. */
  delete(sha256: string): Promise<boolean>;
  /** Size in bytes, or null when absent. */
  size(sha256: string): Promise<number | null>;
  /** A stream of the bytes (for downloads of large files); throws NOT_FOUND when absent. */
  createReadStream(sha256: string): Promise<Readable>;
}

export const SHA256_HEX = /^[0-9a-f]{64}$/;
