/**
 * Colours of a model's classes for the label overlay: the model card's `#rrggbb` per class id, as
 * the RGBA lookup table NiiVue's `colormapLabel.lut` expects (4 bytes per label value). Class 0
 * (background) and ids without a class are transparent.
 */
import type { RGB } from '@/lib/ui/palette';

export interface ClassColour {
  id: number;
  name: string;
  colour: string;
}

/** '#rrggbb' → [r, g, b]; null when malformed. */
export function hexToRgb(hex: string): RGB | null {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex.trim());
  return m ? [parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16)] : null;
}

/** RGBA LUT over label values 0..max class id (at least two entries); background transparent. */
export function classLut(classes: readonly ClassColour[]): Uint8ClampedArray {
  const max = Math.max(1, ...classes.map((c) => c.id));
  const lut = new Uint8ClampedArray((max + 1) * 4);
  for (const c of classes) {
    if (c.id <= 0) continue;
    const rgb = hexToRgb(c.colour);
    if (!rgb) continue;
    lut.set([rgb[0], rgb[1], rgb[2], 255], c.id * 4);
  }
  return lut;
}
