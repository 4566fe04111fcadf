/**
 * Byte-level helpers shared by the NIfTI reader and writer: gzip detection, byte swapping and
 * fixed-width ASCII strings. Isomorphic (no node: imports).
 */
import { gunzipSync, gzipSync } from 'fflate';
import { FormatError } from '../../errors';

/** True on little-endian hosts (every platform this runs on in practice). */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** gzip streams start with 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Returns `bytes` unchanged, or its decompressed content when it starts with the gzip magic. */
export function maybeGunzip(bytes: Uint8Array, where: string): { bytes: Uint8Array; gzip: boolean } {
  if (!isGzip(bytes)) return { bytes, gzip: false };
  try {
    return { bytes: gunzipSync(bytes), gzip: true };
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new FormatError(`gzip stream is corrupt or cut short (${why})`, {
      where,
      hint: 'Re-download or re-export the .nii.gz file; `gzip -t` should report it as intact.',
      cause,
    });
  }
}

export function gzip(bytes: Uint8Array): Uint8Array {
  return gzipSync(bytes, { level: 6, mtime: 0 }); // mtime 0: no timestamp, reproducible output
}

/** Reverses the byte order of each `width`-byte element of `bytes`, in place. */
export function swapInPlace(bytes: Uint8Array, width: 1 | 2 | 4 | 8): void {
  if (width === 1) return;
  for (let i = 0; i + width <= bytes.length; i += width) {
    for (let a = i, b = i + width - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

/** Reads a NUL-terminated (or full-width) Latin-1 string field. */
export function readFixedString(bytes: Uint8Array, offset: number, width: number): string {
  let s = '';
  for (let i = 0; i < width; i++) {
    const c = bytes[offset + i];
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s;
}

/** Writes `s` into a `width`-byte field, truncated to width - 1 characters and NUL-padded. */
export function writeFixedString(bytes: Uint8Array, offset: number, width: number, s: string): void {
  const n = Math.min(s.length, width - 1);
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    bytes[offset + i] = c < 256 ? c : 0x3f; // '?' for characters outside Latin-1
  }
}
