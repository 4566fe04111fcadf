import { describe, expect, it } from 'vitest';
import { ArgumentError, ShapeError } from '@/lib/errors';
import { backwardNeighbours, connectedComponents, type Connectivity } from '@/lib/segmentation/connected-components';
import type { Vec3 } from '@/lib/volume';
import { goldenIndex, loadU32, loadU8 } from '../goldens/segmentation-goldens';

/** Breadth-first flood fill oracle, labels in order of first voxel. */
function bfsLabels(mask: Uint8Array, shape: Vec3, conn: Connectivity): Uint32Array {
  const [nx, ny, nz] = shape;
  const out = new Uint32Array(mask.length);
  const offs: Vec3[] = [];
  for (let dz = -1; dz <= 1; dz++) for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
    const o = Math.abs(dx) + Math.abs(dy) + Math.abs(dz);
    if (o > 0 && (o === 1 || (o === 2 && conn >= 18) || conn === 26)) offs.push([dx, dy, dz]);
  }
  let next = 0;
  for (let s = 0; s < mask.length; s++) {
    if (!mask[s] || out[s]) continue;
    out[s] = ++next;
    const queue = [s];
    while (queue.length) {
      const i = queue.pop() as number;
      const x = i % nx, y = Math.floor(i / nx) % ny, z = Math.floor(i / (nx * ny));
      for (const [dx, dy, dz] of offs) {
        const a = x + dx, b = y + dy, c = z + dz;
        if (a < 0 || b < 0 || c < 0 || a >= nx || b >= ny || c >= nz) continue;
        const j = a + nx * (b + ny * c);
        if (mask[j] && !out[j]) {
          out[j] = next;
          queue.push(j);
        }
      }
    }
  }
  return out;
}

function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

describe('connectedComponents', () => {
  it('separates face, edge and corner contacts by connectivity', () => {
    const shape: Vec3 = [3, 3, 3];
    const edge = new Uint8Array(27);
    edge[0] = 1;
    edge[1 + 3] = 1; // (1,1,0): shares an edge with (0,0,0)
    expect(connectedComponents(edge, shape, 6).count).toBe(2);
    expect(connectedComponents(edge, shape, 18).count).toBe(1);
    const corner = new Uint8Array(27);
    corner[0] = 1;
    corner[26] = 0;
    corner[1 + 3 + 9] = 1; // (1,1,1): corner contact
    expect(connectedComponents(corner, shape, 18).count).toBe(2);
    const r = connectedComponents(corner, shape, 26);
    expect(r.count).toBe(1);
    expect(Array.from(r.labels).filter((v) => v).length).toBe(2);
  });

  it('has 3, 9 and 13 backward neighbours', () => {
    expect(backwardNeighbours(6).length).toBe(3);
    expect(backwardNeighbours(18).length).toBe(9);
    expect(backwardNeighbours(26).length).toBe(13);
  });

  it('equals scipy.ndimage.label on the golden sparse mask (identical numbering)', () => {
    const mask = loadU8('cc_mask');
    const copy = mask.slice();
    for (const [conn, c] of [[6, 1], [18, 2], [26, 3]] as const) {
      const ref = loadU32(`cc_c${c}`);
      const got = connectedComponents(mask, goldenIndex.shape, conn);
      expect(got.count).toBe(goldenIndex.cc_counts[String(c)]);
      // Up to renumbering: a bijection between labels.
      const fwd = new Map<number, number>();
      const back = new Map<number, number>();
      for (let i = 0; i < mask.length; i++) {
        const a = got.labels[i], b = ref[i];
        if ((a === 0) !== (b === 0)) throw new Error(`background differs at ${i}`);
        if (a === 0) continue;
        if ((fwd.get(a) ?? b) !== b || (back.get(b) ?? a) !== a) throw new Error(`labels disagree at ${i}`);
        fwd.set(a, b);
        back.set(b, a);
      }
      expect(firstDifference(got.labels, ref)).toBe(-1);
    }
    expect(firstDifference(mask, copy)).toBe(-1);
  });

  it('matches a flood-fill oracle on random masks', () => {
    let s = 99;
    const rnd = (): number => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296;
    const shape: Vec3 = [13, 9, 7];
    for (const p of [0.2, 0.35, 0.5]) {
      const mask = Uint8Array.from({ length: 13 * 9 * 7 }, () => (rnd() < p ? 1 : 0));
      for (const conn of [6, 18, 26] as const) {
        const ref = bfsLabels(mask, shape, conn);
        const got = connectedComponents(mask, shape, conn);
        expect(Array.from(got.labels)).toEqual(Array.from(ref));
        expect(got.count).toBe(Math.max(0, ...ref));
      }
    }
  });

  it('validates inputs', () => {
    expect(() => connectedComponents(new Uint8Array(7), [2, 2, 2], 6)).toThrow(ShapeError);
    expect(() => connectedComponents(new Uint8Array(8), [2, 2, 2], 4 as 6)).toThrow(ArgumentError);
    expect(connectedComponents(new Uint8Array(8), [2, 2, 2], 26).count).toBe(0);
  });
});
