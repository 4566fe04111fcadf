/**
 * ImageJ and OME-XML metadata from a TIFF ImageDescription: stack layout and voxel size.
 */
import { FormatError } from '../../errors';

export interface ImageJInfo {
  images: number;
  channels: number;
  slices: number;
  frames: number;
  /** z step (ImageJ `spacing=`), when present. */
  spacing?: number;
  /** Raw `unit=` value. */
  unit?: string;
}

export interface OmeInfo {
  sizeX: number;
  sizeY: number;
  sizeZ: number;
  sizeC: number;
  sizeT: number;
  /** e.g. 'XYZCT'. */
  dimensionOrder: string;
  /** Physical sizes converted to one unit (`unit`), undefined where absent. */
  physical: [number | undefined, number | undefined, number | undefined];
  unit?: string;
}

/** Canonical short unit names; `undefined` for pixel / unknown units. */
export function normalizeUnit(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const u = raw.trim().replace(/\\u00[bB]5/g, 'µ').replace(/\u03bc/g, 'µ').toLowerCase();
  switch (u) {
    case 'micron': case 'microns': case 'um': case 'µm': case 'micrometer': case 'micrometre': return 'um';
    case 'nm': case 'nanometer': case 'nanometre': return 'nm';
    case 'mm': case 'millimeter': case 'millimetre': return 'mm';
    case 'cm': case 'centimeter': case 'centimetre': return 'cm';
    case 'm': case 'meter': case 'metre': return 'm';
    case 'å': case 'angstrom': return 'Å';
    default: return undefined;
  }
}

const UNIT_METERS: Record<string, number> = { m: 1, cm: 1e-2, mm: 1e-3, um: 1e-6, nm: 1e-9, Å: 1e-10 };

function positiveInt(v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  return Number.isInteger(n) && n >= 1 ? n : fallback;
}

export function isImageJ(desc: string | undefined): desc is string {
  return desc !== undefined && desc.startsWith('ImageJ=');
}

export function parseImageJ(desc: string, where: string): ImageJInfo {
  const kv = new Map<string, string>();
  for (const line of desc.split(/\r?\n/)) {
    const eq = line.indexOf('=');
    if (eq > 0) kv.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  const channels = positiveInt(kv.get('channels'), 1);
  const frames = positiveInt(kv.get('frames'), 1);
  const images = positiveInt(kv.get('images'), 1);
  const slices = positiveInt(kv.get('slices'), kv.has('slices') ? 1 : Math.max(1, Math.floor(images / (channels * frames))));
  if (channels * slices * frames !== images && kv.has('slices')) {
    throw new FormatError(`ImageJ description says images=${images} but channels×slices×frames = ${channels}×${slices}×${frames}`, {
      where: `${where}: ImageDescription`,
      hint: 'Fix the stack dimensions in Fiji (Image > Properties) and save again.',
    });
  }
  const sp = kv.has('spacing') ? Number(kv.get('spacing')) : undefined;
  return {
    images,
    channels,
    slices,
    frames,
    ...(sp !== undefined && Number.isFinite(sp) && sp > 0 ? { spacing: sp } : {}),
    ...(kv.has('unit') ? { unit: kv.get('unit') } : {}),
  };
}

export function isOme(desc: string | undefined): desc is string {
  return desc !== undefined && /<OME[\s>]/.test(desc);
}

function attr(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`).exec(tag);
  return m ? (m[1] ?? m[2]) : undefined;
}

/** First Image's Pixels element of an OME-XML description. */
export function parseOme(desc: string, where: string): OmeInfo {
  const m = /<(?:\w+:)?Pixels\s[^>]*>/.exec(desc);
  if (!m) {
    throw new FormatError('OME-XML description has no <Pixels> element', {
      where: `${where}: ImageDescription`,
      hint: 'The OME metadata is incomplete; re-export with Bio-Formats or tifffile.',
    });
  }
  const t = m[0];
  const size = (n: string) => positiveInt(attr(t, n), 1);
  const phys = (axis: 'X' | 'Y' | 'Z'): { v?: number; unit?: string } => {
    const raw = attr(t, `PhysicalSize${axis}`);
    const v = raw === undefined ? undefined : Number(raw);
    if (v === undefined || !Number.isFinite(v) || v <= 0) return {};
    return { v, unit: normalizeUnit(attr(t, `PhysicalSize${axis}Unit`) ?? 'µm') };
  };
  const px = [phys('X'), phys('Y'), phys('Z')];
  const unit = px.find((p) => p.unit !== undefined)?.unit;
  const physical = px.map((p) => {
    if (p.v === undefined) return undefined;
    if (p.unit === undefined || unit === undefined || p.unit === unit) return p.v;
    return (p.v * UNIT_METERS[p.unit]) / UNIT_METERS[unit];
  }) as OmeInfo['physical'];
  const order = (attr(t, 'DimensionOrder') ?? 'XYZCT').toUpperCase();
  if (!/^XY[ZCT]{3}$/.test(order) || new Set(order.slice(2)).size !== 3) {
    throw new FormatError(`OME DimensionOrder '${order}' is not a permutation of XY + Z, C, T`, {
      where: `${where}: ImageDescription <Pixels>`,
      hint: 'The OME metadata is corrupt; re-export the file.',
    });
  }
  return { sizeX: size('SizeX'), sizeY: size('SizeY'), sizeZ: size('SizeZ'), sizeC: size('SizeC'), sizeT: size('SizeT'), dimensionOrder: order, physical, ...(unit ? { unit } : {}) };
}

/** IFD index of plane (z, c, t) in an OME TIFF with the given DimensionOrder (first axis after XY fastest). */
export function omePlaneIndex(info: OmeInfo, z: number, c: number, t: number): number {
  const pos: Record<string, number> = { Z: z, C: c, T: t };
  const size: Record<string, number> = { Z: info.sizeZ, C: info.sizeC, T: info.sizeT };
  const [a, b, d] = info.dimensionOrder.slice(2).split('');
  return pos[a] + size[a] * (pos[b] + size[b] * pos[d]);
}
