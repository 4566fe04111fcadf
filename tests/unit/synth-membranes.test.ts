import { describe, expect, it } from 'vitest';
import { generateMembranes, randomMembraneOptions } from '@/lib/synth';
import { ArgumentError } from '@/lib/errors';

/** Voxels with a 6-neighbour of another label (borders) vs voxels ≥ 3 voxels from any border (interior). */
function borderAndInterior(labels: Uint32Array, shape: [number, number, number]): { border: Uint8Array; interior: Uint8Array } {
  const [nx, ny, nz] = shape;
  const border = new Uint8Array(labels.length);
  for (let z = 0, i = 0; z < nz; z++)
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++, i++) {
        const v = labels[i];
        if ((x > 0 && labels[i - 1] !== v) || (x < nx - 1 && labels[i + 1] !== v) || (y > 0 && labels[i - nx] !== v) || (y < ny - 1 && labels[i + nx] !== v) || (z > 0 && labels[i - nx * ny] !== v) || (z < nz - 1 && labels[i + nx * ny] !== v)) border[i] = 1;
      }
  // interior: no border voxel within a 7×7×7 box (brute force)
  const interior = new Uint8Array(labels.length);
  const r = 3;
  for (let z = r; z < nz - r; z++)
    for (let y = r; y < ny - r; y++)
      for (let x = r; x < nx - r; x++) {
        let ok = true;
        for (let dz = -r; dz <= r && ok; dz++) for (let dy = -r; dy <= r && ok; dy++) for (let dx = -r; dx <= r && ok; dx++) if (border[x + dx + nx * (y + dy + ny * (z + dz))]) ok = false;
        if (ok) interior[x + nx * (y + ny * z)] = 1;
      }
  return { border, interior };
}

describe('generateMembranes', () => {
  const shape: [number, number, number] = [48, 40, 24];
  const g = generateMembranes({ shape, seed: 7, cellSize: 2.5 });

  it('labels every voxel densely 1..N, each label one Voronoi cell: the nearest seed in the power metric', () => {
    const d = g.labels.data;
    expect(d.length).toBe(48 * 40 * 24);
    expect(d.every((v) => v > 0)).toBe(true);
    const ids = new Set(d);
    expect(ids.size).toBe(g.cells.length);
    expect(Math.max(...ids)).toBe(g.cells.length);
    expect(g.cells.length).toBeGreaterThan(10);
    // brute-force oracle over the cells present: argmin |p − s|² − w (stretch 1)
    const s = g.labels.spacing;
    let wrong = 0;
    for (let i = 0; i < d.length; i += 13) {
      const x = i % shape[0], y = Math.floor(i / shape[0]) % shape[1], z = Math.floor(i / (shape[0] * shape[1]));
      const p = [x * s[0], y * s[1], z * s[2]];
      let best = Infinity, bl = 0;
      for (const c of g.cells) {
        const v = (p[0] - c.seed[0]) ** 2 + (p[1] - c.seed[1]) ** 2 + (p[2] - c.seed[2]) ** 2 - c.weight;
        if (v < best) { best = v; bl = c.label; }
      }
      if (bl !== d[i]) wrong++;
    }
    expect(wrong).toBe(0);
    // each label is one 6-connected region (Voronoi cells are convex)
    const seen = new Uint8Array(d.length);
    const regions = new Map<number, number>();
    for (let i = 0; i < d.length; i++) {
      if (seen[i]) continue;
      regions.set(d[i], (regions.get(d[i]) ?? 0) + 1);
      const stack = [i];
      seen[i] = 1;
      while (stack.length) {
        const j = stack.pop() as number;
        const x = j % shape[0], y = Math.floor(j / shape[0]) % shape[1], z = Math.floor(j / (shape[0] * shape[1]));
        const nb = [x > 0 ? j - 1 : -1, x < shape[0] - 1 ? j + 1 : -1, y > 0 ? j - shape[0] : -1, y < shape[1] - 1 ? j + shape[0] : -1, z > 0 ? j - shape[0] * shape[1] : -1, z < shape[2] - 1 ? j + shape[0] * shape[1] : -1];
        for (const k of nb) if (k >= 0 && !seen[k] && d[k] === d[j]) { seen[k] = 1; stack.push(k); }
      }
    }
    expect([...regions.values()].every((n) => n === 1)).toBe(true);
  });

  it('boundaries are bright: mean intensity on label borders ≥ 2.5× the cell interiors (default noise)', () => {
    const { border, interior } = borderAndInterior(g.labels.data, shape);
    let sb = 0, nb = 0, si = 0, ni = 0;
    for (let i = 0; i < border.length; i++) {
      if (border[i]) { sb += g.image.data[i]; nb++; }
      if (interior[i]) { si += g.image.data[i]; ni++; }
    }
    expect(nb).toBeGreaterThan(1000);
    expect(ni).toBeGreaterThan(100);
    expect(sb / nb).toBeGreaterThanOrEqual(2.5 * (si / ni));
  });

  it('is deterministic by seed; another seed gives another tissue', () => {
    const a = generateMembranes({ shape: [24, 24, 12], seed: 3 });
    const b = generateMembranes({ shape: [24, 24, 12], seed: 3 });
    const c = generateMembranes({ shape: [24, 24, 12], seed: 4 });
    expect(Buffer.from(a.image.data.buffer).equals(Buffer.from(b.image.data.buffer))).toBe(true);
    expect(Buffer.from(a.labels.data.buffer).equals(Buffer.from(b.labels.data.buffer))).toBe(true);
    expect(Buffer.from(a.labels.data.buffer).equals(Buffer.from(c.labels.data.buffer))).toBe(false);
    expect(a.image.spacing).toEqual([0.15, 0.15, 0.235]);
  });

  it('honours bitDepth and stretch; rejects bad options with typed errors', () => {
    const e = generateMembranes({ shape: [24, 24, 12], bitDepth: 8, intensity: 1000, seed: 2 });
    expect(Math.max(...e.image.data)).toBe(255);
    // cells stretched 2× along x are longer in x than in y
    const st = generateMembranes({ shape: [40, 40, 8], spacing: [1, 1, 1], cellSize: 8, stretch: [2, 1, 1], sizeJitter: 0, seed: 5 });
    let runX = 0, runY = 0;
    const [nx, ny] = [40, 40];
    for (let i = 0; i < st.labels.data.length; i++) {
      const x = i % nx, y = Math.floor(i / nx) % ny;
      if (x > 0 && st.labels.data[i] !== st.labels.data[i - 1]) runX++;
      if (y > 0 && st.labels.data[i] !== st.labels.data[i - nx]) runY++;
    }
    expect(runY).toBeGreaterThan(1.3 * runX); // fewer walls crossed along x
    expect(() => generateMembranes({ cellSize: 0 })).toThrow(ArgumentError);
    expect(() => generateMembranes({ bitDepth: 10 as 8 })).toThrow(ArgumentError);
  });

  it('randomMembraneOptions: anisotropy 1–3 on z, cell diameter 10–36 voxels in x/y, deterministic', () => {
    for (let s = 0; s < 40; s++) {
      const o = randomMembraneOptions(s, [32, 32, 16]);
      const a = o.spacing[2] / o.spacing[0];
      expect(a).toBeGreaterThanOrEqual(1);
      expect(a).toBeLessThanOrEqual(3);
      expect(o.spacing[0]).toBe(o.spacing[1]);
      const cellVox = (o.cellSize as number) / o.spacing[0];
      expect(cellVox).toBeGreaterThanOrEqual(10);
      expect(cellVox).toBeLessThanOrEqual(36);
      expect([8, 12, 16]).toContain(o.bitDepth);
      expect(o.cytoplasm as number).toBeLessThanOrEqual(0.5 * (o.intensity as number));
    }
    expect(randomMembraneOptions(9, [32, 32, 16])).toEqual(randomMembraneOptions(9, [32, 32, 16]));
  });
});
