/**
 * Test-time mirroring in lib/tensor/sliding-window.ts, on a stand-in "network" whose response is
 * not mirror-symmetric: out = in · (1 + i) along the window's last axis (i = 0..W−1). Mirroring
 * that axis averages in · (1 + i) and in · (1 + (W − 1 − i)) = in · (1 + (W − 1)/2): hand-computed.
 */
import { describe, expect, it } from 'vitest';
import { flipAxes, slidingWindow } from '@/lib/tensor/sliding-window';

const ramp = async (win: { data: Float32Array; dims: number[] }) => {
  const W = win.dims.at(-1)!;
  return { data: Float32Array.from(win.data, (v, k) => v * (1 + (k % W))), dims: win.dims };
};

describe('sliding-window test-time mirroring', () => {
  it('flipAxes reverses the listed spatial axes (hand case) and is an involution', () => {
    // [1, 1, 2, 3]: rows [0 1 2], [3 4 5]
    const a = Float32Array.from([0, 1, 2, 3, 4, 5]);
    expect(Array.from(flipAxes(a, [1, 1, 2, 3], [1]))).toEqual([2, 1, 0, 5, 4, 3]);
    expect(Array.from(flipAxes(a, [1, 1, 2, 3], [0]))).toEqual([3, 4, 5, 0, 1, 2]);
    expect(Array.from(flipAxes(a, [1, 1, 2, 3], [0, 1]))).toEqual([5, 4, 3, 2, 1, 0]);
    // channels are not flipped: [1, 2, 1, 3]
    expect(Array.from(flipAxes(a, [1, 2, 1, 3], [1]))).toEqual([2, 1, 0, 5, 4, 3]);
    const r = Float32Array.from({ length: 2 * 3 * 4 * 5 }, (_, i) => Math.sin(i));
    expect(Array.from(flipAxes(flipAxes(r, [1, 2, 3, 4, 5], [0, 2]), [1, 2, 3, 4, 5], [0, 2]))).toEqual(Array.from(r));
  });

  it('mirroring the last axis averages the network over the flip (hand-computed); other axes leave this network unchanged', async () => {
    const dims = [1, 1, 2, 3, 4];
    const x = { data: Float32Array.from({ length: 24 }, (_, i) => i + 1), dims };
    const w = [2, 3, 4]; // one window = the volume
    const plain = await slidingWindow(x, { window: w }, ramp);
    for (let k = 0; k < 24; k++) expect(plain.data[k]).toBeCloseTo(x.data[k] * (1 + (k % 4)), 4); // w·v / w rounding
    let runs = 0;
    const mirrored = await slidingWindow(x, { window: w, mirror: [2] }, async (win) => { runs++; return ramp(win); });
    expect(runs).toBe(2);
    for (let k = 0; k < 24; k++) expect(mirrored.data[k]).toBeCloseTo(x.data[k] * (1 + 1.5), 4);
    const other = await slidingWindow(x, { window: w, mirror: [0, 1] }, ramp); // ramp commutes with z / y flips
    for (let k = 0; k < 24; k++) expect(other.data[k]).toBeCloseTo(plain.data[k], 4);
  });

  it('rejects mirror axes outside the spatial rank with a typed error', async () => {
    const x = { data: new Float32Array(24), dims: [1, 1, 2, 3, 4] };
    await expect(slidingWindow(x, { window: [2, 3, 4], mirror: [3] }, ramp)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(slidingWindow(x, { window: [2, 3, 4], mirror: [-1] }, ramp)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
