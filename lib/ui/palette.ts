/**
 * Instance colour palette shared by the viewer and the browser tests.
 *
 * `instanceColor(labelId)` is a pure function of the label id: the same id always gets the same
 * colour, neighbouring ids get far-apart hues (golden-angle stepping), and every colour is
 * strongly saturated (chroma ≥ 120 of 255) so it can never be mistaken for a grey-scale image
 * pixel, the white crosshair or the dark background.
 */
export type RGB = [number, number, number];

const GOLDEN_ANGLE = 137.50776405003785;
/** Minimum max(r,g,b) − min(r,g,b) of any palette colour. */
export const MIN_CHROMA = 120;

function hslToRgb(h: number, s: number, l: number): RGB {
  const c = (1 - Math.abs(2 * l - 1)) * s;
  const hp = (((h % 360) + 360) % 360) / 60;
  const x = c * (1 - Math.abs((hp % 2) - 1));
  let r = 0;
  let g = 0;
  let b = 0;
  if (hp < 1) [r, g, b] = [c, x, 0];
  else if (hp < 2) [r, g, b] = [x, c, 0];
  else if (hp < 3) [r, g, b] = [0, c, x];
  else if (hp < 4) [r, g, b] = [0, x, c];
  else if (hp < 5) [r, g, b] = [x, 0, c];
  else [r, g, b] = [c, 0, x];
  const m = l - c / 2;
  return [Math.round((r + m) * 255), Math.round((g + m) * 255), Math.round((b + m) * 255)];
}

/** Deterministic colour of instance `labelId` (≥ 1). Label 0 (background) is black. */
export function instanceColor(labelId: number): RGB {
  if (!Number.isFinite(labelId) || labelId <= 0) return [0, 0, 0];
  const id = Math.floor(labelId);
  const hue = (id * GOLDEN_ANGLE + 20) % 360;
  // Three saturation/lightness tiers so that ids whose hues nearly coincide still differ.
  const tier = id % 3;
  const s = [0.9, 0.8, 1.0][tier];
  const l = [0.55, 0.48, 0.62][tier];
  return hslToRgb(hue, s, l);
}

/** CSS `rgb(...)` string of an instance colour. */
export function instanceColorCss(labelId: number): string {
  const [r, g, b] = instanceColor(labelId);
  return `rgb(${r}, ${g}, ${b})`;
}

/** max(r,g,b) − min(r,g,b): 0 for greys. */
export function chroma([r, g, b]: RGB): number {
  return Math.max(r, g, b) - Math.min(r, g, b);
}

export interface LutOptions {
  /** Label drawn in its palette colour while the others are muted; null: all in palette colours. */
  selected?: number | null;
  /** How much of the palette colour a non-selected label keeps (0–1, rest is grey). Default 0.35. */
  keep?: number;
}

/** Grey level the non-selected labels are mixed towards. */
const MUTE_GREY = 90;

/**
 * Colour of a label that is not the selected one: its palette colour mixed towards grey. Its
 * chroma is at most `keep`·255 (< MIN_CHROMA for keep ≤ 0.45), so it can never be mistaken for a
 * full palette colour.
 */
export function mutedColor(labelId: number, keep = 0.35): RGB {
  const [r, g, b] = instanceColor(labelId);
  const mix = (c: number) => Math.round(keep * c + (1 - keep) * MUTE_GREY);
  return [mix(r), mix(g), mix(b)];
}

/**
 * RGBA lookup table for labels 0..maxLabel (4 bytes per label, label 0 transparent), in the
 * layout NiiVue's `colormapLabel.lut` expects. Always at least two entries. NiiVue's label
 * (atlas) shader treats alpha as on/off, so the selection highlight is done in colour: the
 * selected label keeps `instanceColor`, the others are muted (`mutedColor`).
 */
export function buildLabelLut(maxLabel: number, opts: LutOptions = {}): Uint8ClampedArray {
  const n = Math.max(1, Math.floor(maxLabel)) + 1;
  const lut = new Uint8ClampedArray(n * 4);
  const selected = opts.selected ?? null;
  for (let i = 1; i < n; i++) {
    const [r, g, b] = selected === null || i === selected ? instanceColor(i) : mutedColor(i, opts.keep);
    lut[i * 4] = r;
    lut[i * 4 + 1] = g;
    lut[i * 4 + 2] = b;
    lut[i * 4 + 3] = 255;
  }
  return lut;
}

/** Number of RGBA pixels within `tol` (per channel) of `rgb`. `data` is RGBA, 4 bytes a pixel. */
export function countColorPixels(data: ArrayLike<number>, rgb: RGB, tol = 2): number {
  let count = 0;
  for (let i = 0; i + 3 < data.length; i += 4) {
    if (
      Math.abs(data[i] - rgb[0]) <= tol &&
      Math.abs(data[i + 1] - rgb[1]) <= tol &&
      Math.abs(data[i + 2] - rgb[2]) <= tol
    ) {
      count++;
    }
  }
  return count;
}
