import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { removeSmallAndRelabel } from '@/lib/segmentation/relabel';
import { ArgumentError } from '@/lib/errors';

interface Case { kind: string; minVoxels: number; input: number[]; expected: number[]; count: number }
const golden = JSON.parse(readFileSync(new URL('../goldens/pipeline/relabel_stats.json', import.meta.url), 'utf8')) as { cases: Case[] };

describe('removeSmallAndRelabel', () => {
  it('matches skimage remove_small_objects + first-appearance relabelling', () => {
    const cases = golden.cases.filter((c) => c.kind === 'relabel');
    expect(cases.length).toBe(3);
    for (const c of cases) {
      const input = Uint32Array.from(c.input);
      const r = removeSmallAndRelabel(input, c.minVoxels);
      expect(r.count, `min ${c.minVoxels}`).toBe(c.count);
      expect(Array.from(r.labels)).toEqual(c.expected);
      expect(Array.from(input)).toEqual(c.input); // input untouched
    }
  });

  it('relabels by first appearance and drops objects below minVoxels', () => {
    const r = removeSmallAndRelabel(Uint32Array.from([0, 9, 9, 4, 0, 4, 4, 7, 9]), 3);
    expect(Array.from(r.labels)).toEqual([0, 1, 1, 2, 0, 2, 2, 0, 1]);
    expect(r.count).toBe(2);
  });

  it('handles huge label values through the sparse path', () => {
    const big = 0xfffffff0;
    const r = removeSmallAndRelabel(Uint32Array.from([big, big, 5, 0, 3e9]), 2);
    expect(Array.from(r.labels)).toEqual([1, 1, 0, 0, 0]);
    expect(r.count).toBe(1);
  });

  it('rejects a negative minVoxels and non-Uint32 labels', () => {
    expect(() => removeSmallAndRelabel(new Uint32Array(3), -1)).toThrow(ArgumentError);
    expect(() => removeSmallAndRelabel(new Uint16Array(3) as unknown as Uint32Array, 1)).toThrow(ArgumentError);
  });
});

describe('removeSmallAndRelabel in place', () => {
  it('out === labels gives the same result as a fresh array', () => {
    const src = Uint32Array.from([0, 9, 9, 4, 0, 4, 4, 7, 9, 12, 12, 12]);
    const fresh = removeSmallAndRelabel(src, 3);
    const own = src.slice();
    const inPlace = removeSmallAndRelabel(own, 3, { out: own });
    expect(inPlace.labels).toBe(own);
    expect(Array.from(own)).toEqual(Array.from(fresh.labels));
    expect(inPlace.count).toBe(fresh.count);
    expect(() => removeSmallAndRelabel(src, 3, { out: new Uint32Array(2) })).toThrow(ArgumentError);
  });
});
