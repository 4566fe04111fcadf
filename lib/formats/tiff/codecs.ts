/**
 * TIFF strip/tile decompressors: PackBits (32773), LZW (5, MSB-first "new style" codes with the
 * early code-width change, as libtiff writes), Deflate (8, 32946; zlib stream, via fflate).
 *
 * Each decoder writes at most `expected` bytes and returns how many it produced; every loop is bounded
 * by the input length, so corrupt data cannot hang it.
 */
import { unzlibSync, inflateSync } from 'fflate';
import { FormatError } from '../../errors';

/** PackBits (Apple/TIFF run-length) into `out` (length = bytes wanted). Returns bytes written. */
export function decodePackBits(src: Uint8Array, out: Uint8Array): number {
  let i = 0;
  let o = 0;
  const n = src.length;
  const cap = out.length;
  while (i < n && o < cap) {
    const h = src[i++];
    if (h < 128) {
      const len = Math.min(h + 1, n - i, cap - o);
      out.set(src.subarray(i, i + len), o);
      i += h + 1;
      o += len;
    } else if (h > 128) {
      if (i >= n) break;
      const len = Math.min(257 - h, cap - o);
      out.fill(src[i++], o, o + len);
      o += len;
    } // 128: no-op
  }
  return o;
}

const LZW_CLEAR = 256;
const LZW_EOI = 257;

/**
 * TIFF LZW into `out`. Returns bytes written. Throws FormatError on a code that is not yet in the
 * table (corrupt data) or on old-style (LSB-first, pre-TIFF-6) LZW.
 */
export function decodeLzw(src: Uint8Array, out: Uint8Array, where: string): number {
  if (src.length >= 2 && src[0] === 0 && (src[1] & 0x01) === 1) {
    throw new FormatError('old-style (LSB-first) LZW data is not supported', {
      where,
      hint: 'Re-save the file with a current TIFF writer (libtiff, tifffile, Fiji).',
    });
  }
  const prefix = new Int16Array(4096);
  const suffix = new Uint8Array(4096);
  const first = new Uint8Array(4096);
  const length = new Uint16Array(4096);
  for (let c = 0; c < 256; c++) {
    prefix[c] = -1;
    suffix[c] = c;
    first[c] = c;
    length[c] = 1;
  }
  const cap = out.length;
  const totalBits = src.length * 8;
  let bitPos = 0;
  let width = 9;
  let next = 258;
  let prev = -1;
  let o = 0;
  while (bitPos + width <= totalBits && o < cap) {
    // read `width` bits MSB-first
    let code = 0;
    let need = width;
    while (need > 0) {
      const byte = src[bitPos >>> 3];
      const avail = 8 - (bitPos & 7);
      const take = Math.min(avail, need);
      code = (code << take) | ((byte >>> (avail - take)) & ((1 << take) - 1));
      need -= take;
      bitPos += take;
    }
    if (code === LZW_EOI) break;
    if (code === LZW_CLEAR) {
      width = 9;
      next = 258;
      prev = -1;
      continue;
    }
    let entry: number;
    if (prev === -1) {
      if (code > 255) throw new FormatError(`LZW stream starts with code ${code}, not a literal`, { where, hint: 'The compressed strip is corrupt; re-export the file.' });
      entry = code;
    } else if (code < next) {
      entry = code;
      if (next < 4096) {
        prefix[next] = prev;
        suffix[next] = first[code];
        first[next] = first[prev];
        length[next] = length[prev] + 1;
        next++;
      }
    } else if (code === next && next < 4096) {
      prefix[next] = prev;
      suffix[next] = first[prev];
      first[next] = first[prev];
      length[next] = length[prev] + 1;
      entry = next;
      next++;
    } else {
      throw new FormatError(`LZW code ${code} is not in the table (next free code ${next})`, {
        where,
        hint: 'The compressed strip is corrupt; re-export the file.',
      });
    }
    // write the string for `entry` backwards
    const len = length[entry];
    let e = entry;
    for (let k = len - 1; k >= 0; k--) {
      if (o + k < cap) out[o + k] = suffix[e];
      e = prefix[e];
    }
    o = Math.min(o + len, cap);
    prev = code;
    if (next >= (1 << width) - 1 && width < 12) width++;
  }
  return o;
}

/** zlib (or, as a fallback, raw deflate) stream. Returns the inflated bytes. */
export function decodeDeflate(src: Uint8Array, where: string): Uint8Array {
  try {
    return unzlibSync(src);
  } catch (zlibErr) {
    try {
      return inflateSync(src);
    } catch {
      throw new FormatError(`deflate data is corrupt: ${(zlibErr as Error).message}`, {
        where,
        cause: zlibErr,
        hint: 'The compressed strip is damaged; re-export the file.',
      });
    }
  }
}
