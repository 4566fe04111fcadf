/**
 * Diagnostic pictures of a point cloud: orthographic projections (top: x→right, y→up; side: x→right,
 * z→up, seen from −y) rasterised to RGB, and a minimal PNG encoder (fflate's zlib).
 */
import { zlibSync } from 'fflate';
import type { PointCloud } from '../../formats/pointcloud/types';

export interface OrthoImage { width: number; height: number; rgb: Uint8Array }

const PALETTE: [number, number, number][] = [
  [230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200], [245, 130, 48], [145, 30, 180],
  [70, 240, 240], [240, 50, 230], [210, 245, 60], [250, 190, 212], [0, 128, 128], [170, 110, 40],
];

/** Orthographic projection; `instance` colours points by instance (background grey) instead of RGB. */
/** `bounds` crops the picture to a world box (default: the cloud's bounds). */
export function renderOrtho(
  cloud: PointCloud,
  opts: { view: 'top' | 'side'; size?: number; instance?: Int32Array; bounds?: { min: number[]; max: number[] } },
): OrthoImage {
  const size = opts.size ?? 512;
  const [u, v, depthAxis, depthSign] = opts.view === 'top' ? [0, 1, 2, 1] : [0, 2, 1, -1];
  const { min, max } = opts.bounds ?? cloud.bounds;
  const span = Math.max(max[u] - min[u], max[v] - min[v]) || 1;
  const width = Math.max(1, Math.round((size * (max[u] - min[u])) / span)) + 1;
  const height = Math.max(1, Math.round((size * (max[v] - min[v])) / span)) + 1;
  const rgb = new Uint8Array(width * height * 3).fill(255);
  const depth = new Float64Array(width * height).fill(-Infinity);
  const P = cloud.positions;
  for (let i = 0; i < cloud.count; i++) {
    if (cloud.valid && !cloud.valid[i]) continue;
    if (opts.bounds && [0, 1, 2].some((a) => P[3 * i + a] < min[a] || P[3 * i + a] > max[a])) continue;
    const x = Math.round(((P[3 * i + u] - min[u]) / span) * size);
    const y = height - 1 - Math.round(((P[3 * i + v] - min[v]) / span) * size);
    if (x < 0 || y < 0 || x >= width || y >= height) continue;
    const dz = depthSign * P[3 * i + depthAxis];
    const k = y * width + x;
    if (dz <= depth[k]) continue;
    depth[k] = dz;
    let c: [number, number, number];
    if (opts.instance) {
      const id = opts.instance[i];
      c = id === 0 ? [170, 170, 170] : PALETTE[(id - 1) % PALETTE.length];
    } else if (cloud.colors) c = [cloud.colors[3 * i], cloud.colors[3 * i + 1], cloud.colors[3 * i + 2]];
    else c = [0, 0, 0];
    rgb.set(c, 3 * k);
  }
  return { width, height, rgb };
}

let crcTable: Uint32Array | null = null;
function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** 8-bit RGB PNG. */
export function encodePng(img: OrthoImage): Uint8Array {
  const { width, height, rgb } = img;
  const raw = new Uint8Array((3 * width + 1) * height);
  for (let y = 0; y < height; y++) raw.set(rgb.subarray(3 * width * y, 3 * width * (y + 1)), y * (3 * width + 1) + 1);
  const chunk = (type: string, data: Uint8Array): Uint8Array => {
    const out = new Uint8Array(12 + data.length);
    const dv = new DataView(out.buffer);
    dv.setUint32(0, data.length);
    for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
    out.set(data, 8);
    dv.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
    return out;
  };
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const parts = [new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', zlibSync(raw)), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
