/** Loads the scipy / scikit-image goldens written by tests/goldens/make_goldens.py. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { Vec3 } from '@/lib/volume';

const DIR = join(fileURLToPath(new URL('.', import.meta.url)), 'data', 'segmentation');

interface ArrayEntry {
  file: string;
  dtype: 'uint8' | 'uint16' | 'uint32' | 'int32' | 'float32';
  length: number;
}
export interface GoldenIndex {
  shape: Vec3;
  arrays: Record<string, ArrayEntry>;
  cases: { name: string; spacing: Vec3; foreground: number }[];
  cc_counts: Record<string, number>;
}

export const goldenIndex: GoldenIndex = JSON.parse(readFileSync(join(DIR, 'index.json'), 'utf8'));

const CTORS = { uint8: Uint8Array, uint16: Uint16Array, uint32: Uint32Array, int32: Int32Array, float32: Float32Array };

export function loadGolden(name: string): Uint8Array | Uint16Array | Uint32Array | Int32Array | Float32Array {
  const e = goldenIndex.arrays[name];
  if (!e) throw new Error(`no golden array ${name}`);
  const raw = gunzipSync(readFileSync(join(DIR, e.file)));
  const bytes = new Uint8Array(raw.byteLength);
  bytes.set(raw);
  const Ctor = CTORS[e.dtype];
  const out = new Ctor(bytes.buffer, 0, e.length);
  if (out.length !== e.length) throw new Error(`golden ${name}: expected ${e.length} values`);
  return out;
}

export function loadU8(name: string): Uint8Array {
  return loadGolden(name) as Uint8Array;
}
export function loadF32(name: string): Float32Array {
  return loadGolden(name) as Float32Array;
}
/** Any integer golden widened to Uint32Array. */
export function loadU32(name: string): Uint32Array {
  return Uint32Array.from(loadGolden(name) as ArrayLike<number>);
}
