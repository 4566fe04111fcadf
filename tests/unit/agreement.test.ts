import { describe, expect, it } from 'vitest';
import { matchedVoxelAgreement } from '@/lib/metrics';

describe('matchedVoxelAgreement', () => {
  it('is 1 for the same partition under different label ids', () => {
    const a = Uint32Array.from([0, 1, 1, 2, 2, 0]);
    const b = Uint32Array.from([0, 9, 9, 4, 4, 0]);
    expect(matchedVoxelAgreement(a, b)).toBe(1);
    expect(matchedVoxelAgreement(b, a)).toBe(1);
  });

  it('counts voxels foreground in either volume (hand-computed)', () => {
    // a→b: 1→5 (2 of 2), 2→5 (tie 5:1 vs 0:1, first met wins). Foreground in either: i = 1..5.
    // Agree at i = 1, 2, 3; not at i = 4 (5 vs 0) nor i = 5 (0 vs 7) → 3/5.
    const a = [0, 1, 1, 2, 2, 0];
    const b = [0, 5, 5, 5, 0, 7];
    expect(matchedVoxelAgreement(a, b)).toBeCloseTo(0.6, 12);
    // b→a: 5→1 (2 of 3), 7→0. Agree at i = 1, 2, 5; not at i = 3 (1 vs 2) nor i = 4 (0 vs 2) → 3/5.
    expect(matchedVoxelAgreement(b, a)).toBeCloseTo(0.6, 12);
  });

  it('is not symmetric when a label of `a` spans two labels of `b`', () => {
    const a = [1, 1, 1, 1];
    const b = [3, 3, 3, 4];
    expect(matchedVoxelAgreement(a, b)).toBe(0.75); // 1→3: 3 of 4
    expect(matchedVoxelAgreement(b, a)).toBe(1); // 3→1, 4→1
  });

  it('is 1 when neither volume has foreground', () => {
    expect(matchedVoxelAgreement(new Uint32Array(5), new Uint32Array(5))).toBe(1);
    expect(matchedVoxelAgreement([], [])).toBe(1);
  });

  it('maps a label lying on background of `b` to 0, which agrees there', () => {
    // a: 1→0 (agrees at i = 0, 1); b's label 2 lies on a's background (disagrees at i = 2, 3) → 2/4.
    expect(matchedVoxelAgreement([1, 1, 0, 0], [0, 0, 2, 2])).toBe(0.5);
  });
});
