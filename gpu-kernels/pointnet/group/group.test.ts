import { describe, expect, it } from 'vitest';
import { ballQuery } from '../../../lib/pointnet/ball-query';
import { fps } from '../../../lib/pointnet/fps';
import { group } from '../../../lib/pointnet/group';
import { gatherPoints } from '../../../lib/pointnet/set-abstraction';
import { testContext } from '../../test-setup';
import { uniformCloud } from '../testing';
import { groupGpu } from './group';

describe('groupGpu', () => {
  it('equals the twin exactly with and without features', async () => {
    const ctx = await testContext();
    const n = 3000;
    const p = uniformCloud(n, 51);
    const f = uniformCloud(n, 52).subarray(0, 2 * n).map((v) => v * 4 - 2);
    const ci = fps(p, n, 300);
    const centres = gatherPoints(p, ci);
    const { idx } = ballQuery(p, n, ci, 0.15, 20);
    expect(await groupGpu(ctx, p, n, idx, centres, { k: 20 })).toEqual(group(p, n, idx, centres, { k: 20 }));
    const want = group(p, n, idx, centres, { k: 20, features: f, channels: 2 });
    expect(await groupGpu(ctx, p, n, idx, centres, { k: 20, features: f, channels: 2 })).toEqual(want);
    await expect(groupGpu(ctx, p, n, new Uint32Array([n]), centres.subarray(0, 3), { k: 1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
