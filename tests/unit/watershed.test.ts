import { describe, expect, it } from 'vitest';
import { ArgumentError, ShapeError } from '@/lib/errors';
import { BucketFifoQueue, FloodHeap } from '@/lib/segmentation/priority-queue';
import { seedsToMarkers } from '@/lib/segmentation/seeds';
import { MAX_LABEL, watershed, watershedNeighbours } from '@/lib/segmentation/watershed';
import type { Vec3 } from '@/lib/volume';
import { goldenIndex, loadF32, loadU32, loadU8 } from '../goldens/segmentation-goldens';

describe('priority queues', () => {
  it('pop in (value, push order) order: the bucket FIFO queue equals the binary heap with increasing ages', () => {
    let s = 11;
    const rnd = (): number => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296;
    const f32 = new Float32Array(1);
    const u32 = new Uint32Array(f32.buffer);
    const heap = new FloodHeap(4);
    const fifo = new BucketFifoQueue(2);
    const popped: number[][] = [[], []];
    let age = 0;
    let next = 0;
    for (let step = 0; step < 20000; step++) {
      if (heap.size > 0 && rnd() < 0.45) {
        popped[0].push(heap.pop());
        popped[1].push(fifo.pop());
        expect(fifo.size).toBe(heap.size);
      } else {
        // Few distinct values (heavy ties), including −0 and +0, which compare equal.
        const k = Math.floor(rnd() * 12) - 6;
        f32[0] = k === 0 && rnd() < 0.5 ? -0 : k * 0.37;
        heap.push(f32[0], ++age, next);
        fifo.push(next, f32[0], u32[0]);
        next++;
      }
    }
    while (heap.size > 0) {
      popped[0].push(heap.pop());
      popped[1].push(fifo.pop());
    }
    expect(popped[1]).toEqual(popped[0]);
    expect(popped[0].length).toBe(next);
  });
});

describe('watershed', () => {
  it('floods a 1-D valley from both ends, splitting the ridge first-in first-out', () => {
    const img = Float32Array.from([0, 1, 2, 1, 0]);
    const markers = Uint32Array.from([1, 0, 0, 0, 2]);
    // Marker 1 pops first (equal value and age, pushed first); its neighbour gets the older age,
    // so it reaches the ridge voxel first.
    expect(Array.from(watershed(img, markers, null, [5, 1, 1]))).toEqual([1, 1, 1, 2, 2]);
    // Lower values flood first: the ridge goes to the side that reaches it over lower ground.
    const img2 = Float32Array.from([0, 1, 2, 0.5, 0]);
    expect(Array.from(watershed(img2, markers, null, [5, 1, 1]))).toEqual([1, 1, 2, 2, 2]);
  });

  it('matches skimage 0.19 watershed(-dist, markers, mask) on the goldens (connectivity 6 and 26)', () => {
    for (const c of goldenIndex.cases) {
      const mask = loadU8(`${c.name}_mask`);
      const dist = loadF32(`${c.name}_edt`);
      const seeds = loadU32(`${c.name}_peaks_md2`);
      const markers = seedsToMarkers(seeds, goldenIndex.shape);
      const image = dist.map((v) => -v);
      for (const [conn, sk] of [[6, 1], [26, 3]] as const) {
        const ref = loadU32(`${c.name}_ws_c${sk}`);
        for (const exactTies of [false, true]) {
          const got = watershed(image, markers, mask, goldenIndex.shape, { connectivity: conn, exactTies });
          let agree = 0;
          let fg = 0;
          let outside = 0;
          const labelsGot = new Set<number>();
          const labelsRef = new Set<number>();
          for (let i = 0; i < mask.length; i++) {
            if (!mask[i]) {
              if (got[i] !== 0) outside++;
              continue;
            }
            fg++;
            if (got[i] === ref[i]) agree++;
            labelsGot.add(got[i]);
            labelsRef.add(ref[i]);
          }
          const what = `${c.name} connectivity ${conn} exactTies ${exactTies}`;
          expect(outside, what).toBe(0);
          expect(agree / fg, what).toBeGreaterThanOrEqual(0.995);
          expect(labelsGot.size, what).toBe(labelsRef.size);
          // skimage's own heap reproduces its labels voxel for voxel, equal-valued markers included.
          if (exactTies) expect(agree, what).toBe(fg);
        }
      }
    }
  });

  it('bucket queue and binary heap agree exactly when marker values are distinct', () => {
    const shape: Vec3 = [20, 17, 11];
    const n = 20 * 17 * 11;
    let s = 5;
    const rnd = (): number => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296;
    // Quantised values: many ties between non-marker voxels.
    const img = Float32Array.from({ length: n }, () => Math.floor(rnd() * 6) - 3);
    const mask = Uint8Array.from({ length: n }, () => (rnd() < 0.85 ? 1 : 0));
    const markers = new Uint32Array(n);
    for (let k = 1; k <= 12; k++) {
      const i = Math.floor(rnd() * n);
      markers[i] = k;
      img[i] = -10 - k; // distinct marker values
    }
    for (const connectivity of [6, 18, 26] as const) {
      const a = watershed(img, markers, mask, shape, { connectivity });
      const b = watershed(img, markers, mask, shape, { connectivity, exactTies: true });
      expect(Array.from(a)).toEqual(Array.from(b));
    }
  });

  it('labels only inside the mask, keeps every marker, leaves unreachable voxels 0 and inputs unchanged', () => {
    const shape: Vec3 = [6, 5, 4];
    const n = 120;
    const img = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7) * 3);
    const mask = new Uint8Array(n).fill(1);
    for (let y = 0; y < 5; y++) for (let z = 0; z < 4; z++) mask[3 + 6 * (y + 5 * z)] = 0; // wall at x = 3
    const markers = new Uint32Array(n);
    markers[0] = 7;
    markers[1 + 6 * 2] = 9;
    markers[3] = 5; // on the wall: ignored
    const copies = [img.slice(), mask.slice(), markers.slice()];
    const out = watershed(img, markers, mask, shape, { connectivity: 18 });
    expect(watershed(img, markers, mask, shape, { connectivity: 18, exactTies: true })).toEqual(out);
    expect(img).toEqual(copies[0]);
    expect(mask).toEqual(copies[1]);
    expect(markers).toEqual(copies[2]);
    expect(out[0]).toBe(7);
    expect(out[1 + 6 * 2]).toBe(9);
    for (let i = 0; i < n; i++) {
      const x = i % 6;
      if (x === 3) expect(out[i]).toBe(0);
      else if (x < 3) expect([7, 9]).toContain(out[i]);
      else expect(out[i]).toBe(0); // no marker beyond the wall
    }
  });

  it('uses skimage neighbour sets of 6, 18 and 26 offsets', () => {
    for (const c of [6, 18, 26] as const) {
      const nb = watershedNeighbours(c);
      expect(nb.length).toBe(c);
      expect(new Set(nb.map((o) => o.join())).size).toBe(c);
      const maxOrder = c === 6 ? 1 : c === 18 ? 2 : 3;
      for (const o of nb) expect(Math.abs(o[0]) + Math.abs(o[1]) + Math.abs(o[2])).toBeLessThanOrEqual(maxOrder);
    }
  });

  it('validates shapes and connectivity', () => {
    expect(() => watershed(new Float32Array(8), new Uint32Array(7), null, [2, 2, 2])).toThrow(ShapeError);
    expect(() => watershed(new Float32Array(8), new Uint32Array(8), null, [2, 2, 2], { connectivity: 8 as 6 })).toThrow(ArgumentError);
    const big = new Uint32Array(8);
    big[0] = MAX_LABEL + 1;
    expect(() => watershed(new Float32Array(8), big, null, [2, 2, 2])).toThrow(ArgumentError);
    expect(watershed(new Float32Array(8), big, null, [2, 2, 2], { exactTies: true })[7]).toBe(MAX_LABEL + 1);
    expect(() => watershed(Float32Array.from([0, NaN]), Uint32Array.from([1, 0]), null, [2, 1, 1])).toThrow(ArgumentError);
  });
});
