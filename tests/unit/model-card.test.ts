import { describe, expect, it } from 'vitest';
import { defaultCard, parseModelCard, withClassCount, type ModelCard } from '@/lib/model/card';
import { tensorSliding } from '@/lib/model/prepare';
import { TesseraError } from '@/lib/errors';

const good: ModelCard = {
  name: 'gwm',
  version: '1.0',
  task: 'segmentation',
  licence: 'BSD-2',
  sha256: 'a'.repeat(64),
  input: { channels: 1, spacing: [1, 1, 1], normalisation: { kind: 'percentile', low: 0.5, high: 99.5 }, axisOrder: 'xyz', shape: [256, 256, 256], multipleOf: null },
  output: { kind: 'logits', classes: [{ id: 0, name: 'background', colour: '#000000' }, { id: 1, name: 'grey', colour: '#808080' }], instances: 'none', minInstanceVoxels: 0 },
};

describe('model cards', () => {
  it('parses a valid card unchanged', () => {
    expect(parseModelCard(JSON.parse(JSON.stringify(good)))).toEqual(good);
  });

  it('lists every Zod issue in one typed ArgumentError naming the source', () => {
    const bad = structuredClone(good) as unknown as Record<string, any>;
    bad.task = 'detection';
    bad.sha256 = 'XYZ';
    bad.input.channels = 0;
    bad.input.normalisation = { kind: 'percentile', low: 90, high: 10 };
    bad.output.classes.push({ id: 1, name: 'dup', colour: 'red' });
    bad.extra = 1;
    let err: unknown;
    try {
      parseModelCard(bad, 'card.json');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TesseraError);
    const e = err as TesseraError;
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.where).toBe('card.json');
    for (const path of ['task', 'sha256', 'input.channels', 'input.normalisation.high', 'output.classes.2.colour', 'output.classes']) {
      expect(e.message).toContain(`${path}:`);
    }
    expect(e.message).toMatch(/extra/);
  });

  it('defaultCard documents the bare-model defaults; withClassCount fills class0..k−1 only when empty', () => {
    const c = defaultCard('m');
    expect(c.input).toEqual({ channels: 1, spacing: null, normalisation: { kind: 'minmax' }, axisOrder: 'file', shape: null, multipleOf: null });
    expect(c.output).toMatchObject({ kind: 'logits', classes: [], instances: 'none' });
    expect(parseModelCard(c)).toEqual(c);
    const f = withClassCount(c, 3);
    expect(f.output.classes.map((k) => [k.id, k.name])).toEqual([[0, 'background'], [1, 'class1'], [2, 'class2']]);
    expect(f.output.classes[0].colour).toBe('#000000');
    expect(c.output.classes).toEqual([]); // not mutated
    expect(withClassCount(good, 7)).toBe(good);
    expect(defaultCard('m', 2).output.classes).toHaveLength(2);
  });

  it('input.mirror (test-time mirroring) needs a window and distinct axes; tensorSliding maps it to tensor axes', () => {
    const win = { ...good, input: { ...good.input, window: [48, 40, 32] as [number, number, number], overlap: 0.25, mirror: ['y', 'x'] as ('x' | 'y' | 'z')[] } };
    expect(parseModelCard(JSON.parse(JSON.stringify(win)))).toEqual(win);
    expect(() => parseModelCard({ ...good, input: { ...good.input, mirror: ['x'] } })).toThrow(/input.mirror: input.mirror needs input.window/);
    expect(() => parseModelCard({ ...win, input: { ...win.input, mirror: ['x', 'x'] } })).toThrow(/distinct/);
    expect(() => parseModelCard({ ...win, input: { ...win.input, mirror: ['w'] } })).toThrow(/input.mirror/);
    // 'file' / 'zyx' tensors are [z, y, x]: x → 2, y → 1; 'xyz' tensors keep x → 0, y → 1
    expect(tensorSliding(win, { axisOrder: 'file' })).toEqual({ window: [32, 40, 48], overlap: 0.25, mirror: [1, 2] });
    expect(tensorSliding(win, { axisOrder: 'xyz' })).toEqual({ window: [48, 40, 32], overlap: 0.25, mirror: [0, 1] });
    expect(tensorSliding({ ...win, input: { ...win.input, mirror: undefined, overlap: undefined } }, { axisOrder: 'zyx' })).toEqual({ window: [32, 40, 48], overlap: 0.5, mirror: [] });
    expect(tensorSliding(good, { axisOrder: 'file' })).toBeNull();
  });
});
