/**
 * Per-point colours of the point-cloud viewer (pure, typed arrays in and out, no per-point objects).
 *
 * Modes: 'rgb' — the file's colours, or a height ramp when it has none; 'class' — palette colour of
 * the class id (lib/ui/palette `instanceColor`), grey for class ≤ 0; 'instance' — palette colour of
 * the instance id, grey for background (≤ 0). With a selected instance, every other point is dimmed.
 */
import { instanceColor, type RGB } from '@/lib/ui/palette';

export type ColourMode = 'rgb' | 'class' | 'instance';
export type UpAxis = 'z' | 'y' | '-y';

/** Colour of background / unlabelled points in the class and instance modes. */
export const BACKGROUND_RGB: RGB = [112, 118, 128];
/** Fraction of its colour a non-selected point keeps while an instance is selected. */
export const DIM = 0.4;

export interface ColourSource {
  /** xyz interleaved, one triple per point of the file. */
  positions: Float32Array;
  colors?: Uint8Array;
  instance?: Int32Array;
  classIds?: Int32Array;
}

/** Palette lookup by id: a flat table for ids up to 2²⁰, a Map beyond (ids ≤ 0 → background). */
function paletteLookup(ids: Int32Array | undefined, drawn: Uint32Array): (id: number) => RGB {
  let max = 0;
  if (ids) for (let k = 0; k < drawn.length; k++) if (ids[drawn[k]] > max) max = ids[drawn[k]];
  if (max < 1 << 20) {
    const lut = new Uint8Array(3 * (max + 1));
    const filled = new Uint8Array(max + 1);
    const tmp: RGB = [0, 0, 0];
    return (id) => {
      if (id <= 0 || id > max) return BACKGROUND_RGB;
      if (!filled[id]) {
        const c = instanceColor(id);
        lut[3 * id] = c[0];
        lut[3 * id + 1] = c[1];
        lut[3 * id + 2] = c[2];
        filled[id] = 1;
      }
      tmp[0] = lut[3 * id];
      tmp[1] = lut[3 * id + 1];
      tmp[2] = lut[3 * id + 2];
      return tmp;
    };
  }
  const map = new Map<number, RGB>();
  return (id) => {
    if (id <= 0) return BACKGROUND_RGB;
    let c = map.get(id);
    if (!c) map.set(id, (c = instanceColor(id)));
    return c;
  };
}

const AXIS: Record<UpAxis, { k: number; sign: number }> = { z: { k: 2, sign: 1 }, y: { k: 1, sign: 1 }, '-y': { k: 1, sign: -1 } };

/** Blue → teal → sand ramp for clouds without colours, by height along the up axis. */
function heightColour(t: number, out: Uint8Array, o: number): void {
  const u = t < 0 ? 0 : t > 1 ? 1 : t;
  out[o] = Math.round(60 + 170 * u);
  out[o + 1] = Math.round(110 + 100 * Math.sin(Math.PI * u * 0.9));
  out[o + 2] = Math.round(200 - 110 * u);
}

/**
 * Fills `out` (3 bytes per drawn point) with the colours of the points `drawn` (indices into the
 * file's points) for `mode`, dimming all but `selected` when an instance is selected.
 */
export function fillColours(out: Uint8Array, src: ColourSource, drawn: Uint32Array, mode: ColourMode, selected: number | null, up: UpAxis = 'z'): void {
  const m = drawn.length;
  if (out.length !== 3 * m) throw new RangeError(`colour buffer has ${out.length} bytes for ${m} points`);
  if (mode === 'rgb' && src.colors) {
    const c = src.colors;
    for (let k = 0; k < m; k++) {
      const i = drawn[k];
      out[3 * k] = c[3 * i];
      out[3 * k + 1] = c[3 * i + 1];
      out[3 * k + 2] = c[3 * i + 2];
    }
  } else if (mode === 'rgb') {
    const { k: ax, sign } = AXIS[up];
    let lo = Infinity;
    let hi = -Infinity;
    for (let k = 0; k < m; k++) {
      const v = sign * src.positions[3 * drawn[k] + ax];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const span = hi > lo ? hi - lo : 1;
    for (let k = 0; k < m; k++) heightColour((sign * src.positions[3 * drawn[k] + ax] - lo) / span, out, 3 * k);
  } else {
    const ids = mode === 'class' ? src.classIds : src.instance;
    const look = paletteLookup(ids, drawn);
    for (let k = 0; k < m; k++) {
      const c = ids ? look(ids[drawn[k]]) : BACKGROUND_RGB;
      out[3 * k] = c[0];
      out[3 * k + 1] = c[1];
      out[3 * k + 2] = c[2];
    }
  }
  if (selected !== null && src.instance) {
    const inst = src.instance;
    for (let k = 0; k < m; k++) {
      if (inst[drawn[k]] === selected) continue;
      out[3 * k] = Math.round(out[3 * k] * DIM);
      out[3 * k + 1] = Math.round(out[3 * k + 1] * DIM);
      out[3 * k + 2] = Math.round(out[3 * k + 2] * DIM);
    }
  }
}

/** Indices of the points with finite coordinates (the ones drawn). */
export function validPointIndices(positions: Float32Array): Uint32Array {
  const n = positions.length / 3;
  let m = 0;
  const tmp = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const x = positions[3 * i];
    const y = positions[3 * i + 1];
    const z = positions[3 * i + 2];
    // x - x is NaN for ±Infinity and NaN: finite check without a function call
    if (x - x === 0 && y - y === 0 && z - z === 0) tmp[m++] = i;
  }
  return tmp.slice(0, m);
}

/**
 * Index buffer over the drawn points (positions into `drawn`) leaving out hidden instances; null when
 * nothing is hidden (draw everything, no index).
 */
export function visibleIndex(drawn: Uint32Array, instance: Int32Array | undefined, hidden: ReadonlySet<number>): Uint32Array | null {
  if (!instance || hidden.size === 0) return null;
  const out = new Uint32Array(drawn.length);
  let n = 0;
  for (let k = 0; k < drawn.length; k++) if (!hidden.has(instance[drawn[k]])) out[n++] = k;
  return out.slice(0, n);
}
