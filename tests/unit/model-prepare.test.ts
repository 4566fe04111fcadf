import { describe, expect, it } from 'vitest';
import { defaultCard, type ModelCard } from '@/lib/model/card';
import { labelsFromOutput, outputClassCount, prepareModelInput } from '@/lib/model/prepare';
import type { Affine, Vec3, Volume } from '@/lib/volume';

/** A fake two-class "network": channel 0 = 0.5, channel 1 = the input → class 1 where input > 0.5 (ties → 0). */
function thresholdNet(x: { data: Float32Array; dims: number[] }) {
  const n = x.data.length;
  const data = new Float32Array(2 * n);
  data.fill(0.5, 0, n);
  data.set(x.data, n);
  return { data, dims: [1, 2, ...x.dims.slice(2)], type: 'float32' as const };
}

const card = (over: Partial<ModelCard['input']>): ModelCard => {
  const c = defaultCard('t', 2);
  return { ...c, input: { ...c.input, ...over } };
};

// 8×6×4 volume of 2×2×2 blocks (so 2× resampling is exact); values 0..255, LIA affine.
const shape: Vec3 = [8, 6, 4];
const affine: Affine = [
  [-1, 0, 0, 100],
  [0, 0, 1, -50],
  [0, -1, 0, 20],
  [0, 0, 0, 1],
];
const data = new Uint8Array(8 * 6 * 4);
for (let z = 0; z < 4; z++) for (let y = 0; y < 6; y++) for (let x = 0; x < 8; x++) data[x + 8 * (y + 6 * z)] = ((x >> 1) * 37 + (y >> 1) * 91 + (z >> 1) * 53) % 256;
const vol: Volume = { data, shape, spacing: [1, 1, 1], affine };

describe('prepareModelInput / labelsFromOutput', () => {
  const min = Math.min(...data), max = Math.max(...data);
  const truth = Array.from(data, (v) => ((v - min) / (max - min) > 0.5 ? 1 : 0));

  for (const [name, over] of [
    ['file', { axisOrder: 'file' }],
    ['xyz', { axisOrder: 'xyz' }],
    ['zyx (LIA → RAS)', { axisOrder: 'zyx' }],
    ['zyx + 2× spacing + pad to shape + multipleOf', { axisOrder: 'zyx', spacing: [2, 2, 2], shape: [5, 4, 3], multipleOf: 3 }],
    ['xyz + crop to 6×6×4', { axisOrder: 'xyz', shape: [6, 6, 4] }],
  ] as [string, Partial<ModelCard['input']>][]) {
    it(`round trip through a thresholding net on the native grid: ${name}`, () => {
      const p = prepareModelInput(vol, card(over));
      const labels = labelsFromOutput(thresholdNet(p.input), p.mapping);
      expect(labels).toBeInstanceOf(Uint8Array);
      expect(labels.length).toBe(data.length);
      if (over.shape && over.axisOrder === 'xyz') {
        // x cropped 8 → 6 (offset −1): columns x = 0 and 7 come back as background.
        expect(Array.from(labels)).toEqual(truth.map((t, i) => (i % 8 === 0 || i % 8 === 7 ? 0 : t)));
      } else {
        expect(Array.from(labels)).toEqual(truth);
      }
      expect(JSON.parse(JSON.stringify(p.params))).toEqual(p.params);
      expect(p.params).toMatchObject({ axisOrder: over.axisOrder, normalisation: { kind: 'minmax', min, max } });
    });
  }

  it('tensor dims per layout; the RAS grid and 2× spacing are recorded', () => {
    expect(prepareModelInput(vol, card({ axisOrder: 'file' })).input.dims).toEqual([1, 1, 4, 6, 8]);
    expect(prepareModelInput(vol, card({ axisOrder: 'xyz' })).input.dims).toEqual([1, 1, 8, 6, 4]);
    // LIA: R ← x (8), A ← z (4), S ← y (6) → [1,1,S,A,R]
    const z = prepareModelInput(vol, card({ axisOrder: 'zyx' }));
    expect(z.input.dims).toEqual([1, 1, 6, 4, 8]);
    expect(z.mapping.orientation).toMatchObject({ codes: 'LIA' });
    const s = prepareModelInput(vol, card({ axisOrder: 'zyx', spacing: [2, 2, 2], multipleOf: 3 }));
    expect(s.mapping.conform.resample?.shape).toEqual([4, 2, 3]);
    expect(s.mapping.conform.gridShape).toEqual([6, 3, 3]);
    expect(s.input.dims).toEqual([1, 1, 3, 3, 6]);
    // padding uses the normalised minimum (0 for minmax)
    expect(s.mapping.conform.padValue).toBe(0);
  });

  it('argmax ties go to the lowest channel; int32 (ArgMax) outputs are used as they are', () => {
    const p = prepareModelInput({ data: Uint8Array.from([0, 1, 2, 3]), shape: [4, 1, 1], spacing: [1, 1, 1] }, defaultCard('t'));
    // 3 channels × 4 voxels
    const logits = Float32Array.from([
      1, 5, 2, 0, // c0
      1, 5, 3, -1, // c1
      0, 6, 3, -2, // c2
    ]);
    const out = { data: logits, dims: [1, 3, 1, 1, 4], type: 'float32' as const };
    expect(Array.from(labelsFromOutput(out, p.mapping))).toEqual([0, 2, 1, 0]);
    expect(outputClassCount(out, p.mapping)).toBe(3);
    const ids = { data: Int32Array.from([3, 0, 300, 1]), dims: [1, 1, 1, 4], type: 'int32' as const };
    const l = labelsFromOutput(ids, p.mapping);
    expect(l).toBeInstanceOf(Uint16Array);
    expect(Array.from(l)).toEqual([3, 0, 300, 1]);
    expect(() => labelsFromOutput({ data: new Float32Array(8), dims: [1, 2, 1, 2, 2], type: 'float32' }, p.mapping)).toThrow(/do not end with the input's spatial dims/);
    expect(() => labelsFromOutput({ data: new Float32Array(4), dims: [1, 1, 1, 1, 4], type: 'float32' }, p.mapping)).toThrow(/single-channel/);
  });

  it('rejects multi-channel cards with a typed error', () => {
    expect(() => prepareModelInput(vol, card({ channels: 2 }))).toThrow(/2 input channels/);
  });
});
