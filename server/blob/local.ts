/**
 * Blobs as files under `root`: blobs/ab/abcdef… (first two hex digits shard the folder). Writes go
 * to a temp file in the same folder and are renamed into place, so a blob is either absent or
 * complete; putting the same bytes twice is a no-op.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat, unlink, writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { ArgumentError, TesseraError } from '@/lib/errors';
import { SHA256_HEX, type BlobRef, type BlobStore } from './types';

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export class LocalBlobStore implements BlobStore {
  constructor(readonly root: string) {}

  pathOf(sha256: string): string {
    if (!SHA256_HEX.test(sha256)) {
      throw new ArgumentError(`not a sha256 address: ${sha256.slice(0, 80)}`, { where: 'blob.sha256', hint: 'Use 64 lowercase hex digits.' });
    }
    return join(this.root, sha256.slice(0, 2), sha256);
  }

  async put(bytes: Uint8Array): Promise<BlobRef> {
    const sha256 = sha256Hex(bytes);
    const ref = { sha256, bytes: bytes.byteLength };
    const path = this.pathOf(sha256);
    if ((await this.size(sha256)) === bytes.byteLength) return ref;
    await mkdir(join(this.root, sha256.slice(0, 2)), { recursive: true });
    const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, bytes, { flag: 'wx' });
      await rename(tmp, path);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
    return ref;
  }

  async get(sha256: string): Promise<Uint8Array> {
    try {
      const b = await readFile(this.pathOf(sha256));
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    } catch (e) {
      throw notFoundOr(e, sha256);
    }
  }

  async has(sha256: string): Promise<boolean> {
    return (await this.size(sha256)) !== null;
  }

  async size(sha256: string): Promise<number | null> {
    try {
      return (await stat(this.pathOf(sha256))).size;
    } catch (e) {
      if (isEnoent(e)) return null;
      throw e;
    }
  }

  async delete(sha256: string): Promise<boolean> {
    try {
      await unlink(this.pathOf(sha256));
      return true;
    } catch (e) {
      if (isEnoent(e)) return false;
      throw e;
    }
  }

  async createReadStream(sha256: string): Promise<Readable> {
    if (!(await this.has(sha256))) throw notFoundOr(null, sha256);
    return createReadStream(this.pathOf(sha256));
  }
}

function isEnoent(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: string }).code === 'ENOENT';
}

function notFoundOr(e: unknown, sha256: string): unknown {
  if (e !== null && !isEnoent(e)) return e;
  return new TesseraError('NOT_FOUND', `blob ${sha256.slice(0, 12)}… is missing from the blob store`, {
    where: `blob:${sha256}`,
    hint: 'The data directory was changed or cleaned; re-upload the file.',
  });
}
