/** `readPointCloud`: picks the reader by magic bytes first, then by file extension. */
import { UnsupportedFormatError } from '../../errors';
import { readLas } from './las';
import { readPcd } from './pcd';
import { readPly } from './ply';
import type { PointCloud } from './types';
import { readXyz } from './xyz';

export type PointCloudFormat = 'ply' | 'pcd' | 'las' | 'xyz';

const TEXT_EXT = new Set(['xyz', 'csv', 'txt', 'pts', 'asc']);

function startsWith(bytes: Uint8Array, s: string): boolean {
  if (bytes.length < s.length) return false;
  for (let i = 0; i < s.length; i++) if (bytes[i] !== s.charCodeAt(i)) return false;
  return true;
}

/** The format `bytes` holds, by magic (ply / PCD header / LASF), else by the extension of `filename`. */
export function detectPointCloudFormat(bytes: Uint8Array, filename: string): PointCloudFormat {
  if (startsWith(bytes, 'ply') && (bytes[3] === 0x0a || bytes[3] === 0x0d || bytes[3] === 0x20)) return 'ply';
  if (startsWith(bytes, 'LASF')) return 'las';
  if (startsWith(bytes, '# .PCD') || startsWith(bytes, 'VERSION')) return 'pcd';
  const ext = /\.([a-z0-9]+)$/i.exec(filename)?.[1]?.toLowerCase() ?? '';
  if (ext === 'ply') return 'ply';
  if (ext === 'pcd') return 'pcd';
  if (ext === 'las' || ext === 'laz') return 'las';
  if (TEXT_EXT.has(ext)) return 'xyz';
  const hint =
    ext === 'bin' || ext === 'label'
      ? 'Headerless .bin/.label arrays need their layout: use readRawPoints / readRawLabels (or readScanNetLike / readSemanticKitti).'
      : 'Supported point clouds: .ply, .pcd, .las, .laz, .xyz, .csv, .txt, .pts.';
  throw new UnsupportedFormatError(`cannot tell the point-cloud format of "${filename}"${ext ? ` (.${ext})` : ''}`, { where: filename, hint });
}

/** Reads any supported point-cloud file. Throws TesseraError subclasses, never returns null. */
export function readPointCloud(bytes: Uint8Array, filename: string): PointCloud {
  switch (detectPointCloudFormat(bytes, filename)) {
    case 'ply': return readPly(bytes, filename);
    case 'pcd': return readPcd(bytes, filename);
    case 'las': return readLas(bytes, filename);
    case 'xyz': return readXyz(bytes, {}, filename);
  }
}
