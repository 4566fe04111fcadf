/**
 * Headerless arrays: point records given their layout (ScanNet/S3DIS float32 xyz+rgb, SemanticKITTI
 * float32 x,y,z,intensity), per-point label arrays (int64 / uint32 / int32), and the SemanticKITTI
 * label split (instance = v >>> 16, semantic = v & 0xffff). All little-endian.
 */
import { ArgumentError, FormatError } from '../../errors';
import { CloudBuilder, type ColumnSpec } from './builder';
import type { PointCloud } from './types';

export interface RawPointsLayout {
  /** Values per point (≥ fields.length). */
  stride: number;
  dtype: 'float32' | 'float64';
  /** Names of the leading values of each record (x y z, r g b, nx ny nz, intensity, label, ...; '_' skips one). */
  fields: string[];
  /** Colour scale for r/g/b fields: multiply by this to get 0..255 (default 'auto': ×255 when all are in [0,1] and fractional). */
  colorScale?: number | 'auto';
}

/** Reads headerless little-endian point records into a PointCloud. */
export function readRawPoints(bytes: Uint8Array, layout: RawPointsLayout, where = 'raw points'): PointCloud {
  const { stride, dtype, fields } = layout ?? ({} as RawPointsLayout);
  if (!Number.isInteger(stride) || stride < 1) {
    throw new ArgumentError(`stride must be a positive integer, got ${String(stride)}`, { where: `${where}: layout.stride`, hint: 'Give the number of values per point, e.g. 6 for x y z r g b.' });
  }
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw new ArgumentError(`dtype must be float32 or float64, got ${String(dtype)}`, { where: `${where}: layout.dtype`, hint: 'Use float32 (ScanNet, S3DIS, KITTI .bin) or float64.' });
  }
  if (!Array.isArray(fields) || fields.length > stride) {
    throw new ArgumentError(`fields must be an array of at most ${stride} names`, { where: `${where}: layout.fields`, hint: 'Name the leading values of each record, e.g. ["x","y","z","r","g","b"].' });
  }
  const esize = dtype === 'float32' ? 4 : 8;
  const rec = stride * esize;
  if (bytes.length % rec !== 0) {
    throw new FormatError(`${bytes.length} bytes is not a whole number of ${stride}×${dtype} records (${rec} bytes each)`, {
      where: `${where}: byte ${bytes.length - (bytes.length % rec)}`, hint: 'Check stride and dtype against how the file was written, or whether it was cut short.',
    });
  }
  const n = bytes.length / rec;
  const specs: ColumnSpec[] = [];
  const cols: number[] = [];
  fields.forEach((name, k) => {
    if (name === '_') return;
    specs.push({ name, isFloat: true, colorScale: layout.colorScale ?? 'auto' });
    cols.push(k);
  });
  const builder = new CloudBuilder(n, specs, `${where}: layout.fields`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let s = 0; s < cols.length; s++) {
    const set = builder.setters[s];
    const base = cols[s] * esize;
    if (esize === 4) for (let i = 0; i < n; i++) set(i, dv.getFloat32(i * rec + base, true));
    else for (let i = 0; i < n; i++) set(i, dv.getFloat64(i * rec + base, true));
  }
  return builder.finish();
}

/** Reads a headerless little-endian per-point label array as Int32Array. */
export function readRawLabels(bytes: Uint8Array, dtype: 'int64' | 'uint32' | 'int32', where = 'raw labels'): Int32Array {
  const esize = dtype === 'int64' ? 8 : dtype === 'uint32' || dtype === 'int32' ? 4 : 0;
  if (esize === 0) throw new ArgumentError(`dtype must be int64, uint32 or int32, got ${String(dtype)}`, { where: `${where}: dtype`, hint: 'ScanNet/S3DIS masks are int64; SemanticKITTI .label is uint32.' });
  if (bytes.length % esize !== 0) {
    throw new FormatError(`${bytes.length} bytes is not a whole number of ${dtype} values`, { where: `${where}: byte ${bytes.length - (bytes.length % esize)}`, hint: 'Check the dtype, or whether the file was cut short.' });
  }
  const n = bytes.length / esize;
  const out = new Int32Array(n);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dtype === 'int32') for (let i = 0; i < n; i++) out[i] = dv.getInt32(4 * i, true);
  else if (dtype === 'uint32') for (let i = 0; i < n; i++) out[i] = dv.getUint32(4 * i, true) | 0; // bits kept: use >>> 0 to read back
  else {
    for (let i = 0; i < n; i++) {
      const lo = dv.getUint32(8 * i, true);
      const hi = dv.getInt32(8 * i + 4, true);
      const ok = (hi === 0 && lo < 0x80000000) || (hi === -1 && lo >= 0x80000000);
      if (!ok) {
        throw new FormatError(`label ${i} (${hi * 2 ** 32 + lo}) is outside the int32 range`, { where: `${where}: byte ${8 * i}`, hint: 'Labels must fit in int32; check the dtype (uint32 / int32?).' });
      }
      out[i] = lo | 0;
    }
  }
  return out;
}

/** SemanticKITTI: instance = v >>> 16, semantic = v & 0xffff (v read as uint32). */
export function splitSemanticKittiLabels(raw: Int32Array | Uint32Array): { instance: Int32Array; semantic: Int32Array } {
  const instance = new Int32Array(raw.length);
  const semantic = new Int32Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i] >>> 0;
    instance[i] = v >>> 16;
    semantic[i] = v & 0xffff;
  }
  return { instance, semantic };
}

/** Returns a copy of `cloud` with `labels` added (each must hold one value per point). */
export function withLabels(cloud: PointCloud, labels: { [name: string]: Int32Array }, where = 'labels'): PointCloud {
  for (const [name, a] of Object.entries(labels)) {
    if (a.length !== cloud.count) {
      throw new FormatError(`"${name}" has ${a.length} labels for ${cloud.count} points`, { where: `${where}: ${name}`, hint: 'The label file belongs to another scan, or its dtype is wrong.' });
    }
  }
  return { ...cloud, labels: { ...(cloud.labels ?? {}), ...labels } };
}

/** ScanNet / S3DIS (mmdetection3d export): float32 x y z r g b points plus optional int64 masks. */
export function readScanNetLike(points: Uint8Array, masks: { instance?: Uint8Array; semantic?: Uint8Array } = {}): PointCloud {
  const cloud = readRawPoints(points, { stride: 6, dtype: 'float32', fields: ['x', 'y', 'z', 'r', 'g', 'b'], colorScale: 1 }, 'points');
  const labels: { [name: string]: Int32Array } = {};
  if (masks.instance) labels.instance = readRawLabels(masks.instance, 'int64', 'instance mask');
  if (masks.semantic) labels.semantic = readRawLabels(masks.semantic, 'int64', 'semantic mask');
  return Object.keys(labels).length ? withLabels(cloud, labels, 'masks') : cloud;
}

/** SemanticKITTI: velodyne float32 x y z intensity, optional uint32 .label split into instance/semantic. */
export function readSemanticKitti(velodyne: Uint8Array, label?: Uint8Array): PointCloud {
  const cloud = readRawPoints(velodyne, { stride: 4, dtype: 'float32', fields: ['x', 'y', 'z', 'intensity'] }, 'velodyne');
  if (!label) return cloud;
  return withLabels(cloud, splitSemanticKittiLabels(readRawLabels(label, 'uint32', 'label')), 'label');
}
