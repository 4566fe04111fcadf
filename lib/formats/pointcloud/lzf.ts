/**
 * LZF (liblzf) decompression and a simple compressor, as used by PCD's binary_compressed data.
 *
 * Stream: a control byte c; c < 32 → c+1 literal bytes follow; otherwise a back-reference of length
 * (c >> 5) + 2 (when c >> 5 is 7, the next byte adds to the length) at distance ((c & 31) << 8 | next) + 1.
 */
import { FormatError } from '../../errors';

/** Decompresses `input` into exactly `outLength` bytes; throws FormatError on any inconsistency. */
export function lzfDecompress(input: Uint8Array, outLength: number, where = 'LZF'): Uint8Array {
  const out = new Uint8Array(outLength);
  const inLen = input.length;
  let ip = 0;
  let op = 0;
  const bad = (what: string) =>
    new FormatError(`LZF stream is corrupt: ${what}`, { where: `${where}: compressed byte ${ip}`, hint: 'The compressed data is damaged; re-save the file (e.g. as binary or ascii PCD).' });
  while (ip < inLen) {
    const ctrl = input[ip++];
    if (ctrl < 32) {
      const run = ctrl + 1;
      if (ip + run > inLen) throw bad(`literal run of ${run} bytes passes the end of the input`);
      if (op + run > outLength) throw bad(`output would exceed the announced ${outLength} bytes`);
      out.set(input.subarray(ip, ip + run), op);
      ip += run;
      op += run;
    } else {
      let run = ctrl >> 5;
      if (run === 7) {
        if (ip >= inLen) throw bad('back-reference length passes the end of the input');
        run += input[ip++];
      }
      if (ip >= inLen) throw bad('back-reference offset passes the end of the input');
      const ref = op - ((ctrl & 0x1f) << 8) - input[ip++] - 1;
      run += 2;
      if (ref < 0) throw bad(`back-reference points ${-ref} bytes before the start of the output`);
      if (op + run > outLength) throw bad(`output would exceed the announced ${outLength} bytes`);
      for (let k = 0; k < run; k++) out[op + k] = out[ref + k]; // may overlap: byte by byte
      op += run;
    }
  }
  if (op !== outLength) throw bad(`decompressed to ${op} bytes, header announces ${outLength}`);
  return out;
}

/** Compresses `input` with LZF (greedy, 3-byte hash). Output always decompresses with lzfDecompress. */
export function lzfCompress(input: Uint8Array): Uint8Array {
  const n = input.length;
  // worst case: every 32 literals cost one control byte
  const out = new Uint8Array(n + Math.ceil(n / 32) + 1);
  const HLOG = 14;
  const table = new Int32Array(1 << HLOG).fill(-1);
  let op = 0;
  let litStart = 0;
  const flushLiterals = (end: number) => {
    let s = litStart;
    while (s < end) {
      const run = Math.min(32, end - s);
      out[op++] = run - 1;
      out.set(input.subarray(s, s + run), op);
      op += run;
      s += run;
    }
  };
  let ip = 0;
  while (ip + 2 < n) {
    const h = (((input[ip] << 16) | (input[ip + 1] << 8) | input[ip + 2]) * 2654435761) >>> (32 - HLOG);
    const ref = table[h];
    table[h] = ip;
    const dist = ip - ref - 1;
    if (ref >= 0 && dist < 8192 && input[ref] === input[ip] && input[ref + 1] === input[ip + 1] && input[ref + 2] === input[ip + 2]) {
      let len = 3;
      const maxLen = Math.min(264, n - ip);
      while (len < maxLen && input[ref + len] === input[ip + len]) len++;
      flushLiterals(ip);
      const l = len - 2;
      if (l < 7) {
        out[op++] = (l << 5) | (dist >> 8);
      } else {
        out[op++] = (7 << 5) | (dist >> 8);
        out[op++] = l - 7;
      }
      out[op++] = dist & 0xff;
      ip += len;
      litStart = ip;
    } else {
      ip++;
    }
  }
  flushLiterals(n);
  return out.slice(0, op);
}
