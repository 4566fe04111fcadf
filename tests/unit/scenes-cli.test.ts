import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateSceneCommand } from '@/cli/commands/generate-scene';
import { readPly } from '@/lib/formats/pointcloud';
import { ArgumentError } from '@/lib/errors';

const dir = mkdtempSync(join(tmpdir(), 'tessera-scene-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tessera generate-scene', () => {
  it('writes a PLY with instance and class per point, and the objects as JSON', async () => {
    const out = join(dir, 'scene.ply'), json = join(dir, 'objects.json');
    const logs: string[] = [];
    const rc = await generateSceneCommand(['--out', out, '--seed', '4', '--kind', 'tabletop', '--json', json, '--points', '2048', '--density', '0.25'], (s) => logs.push(s));
    expect(rc).toBe(0);
    expect(logs.join('\n')).toMatch(/generate-scene: \d+ objects/);
    const cloud = readPly(new Uint8Array(readFileSync(out)));
    expect(cloud.count).toBe(2048);
    expect(cloud.colors).toBeDefined();
    const meta = JSON.parse(readFileSync(json, 'utf8')) as { split: string; objects: { id: number; class: string; points: number }[]; touching: number[][] };
    expect(meta.split).toBe('train');
    expect(meta.touching.length).toBeGreaterThanOrEqual(2);
    const inst = cloud.labels?.instance, cls = cloud.labels?.class;
    expect(inst && cls).toBeTruthy();
    const ids = new Set(inst);
    for (const o of meta.objects) expect(ids.has(o.id)).toBe(true);
    expect(Math.max(...(cls ?? [0]))).toBeLessThanOrEqual(6);
  });

  it('rejects a bad --kind and prints help', async () => {
    await expect(generateSceneCommand(['--out', join(dir, 'x.ply'), '--kind', 'garden'], () => {})).rejects.toThrow(ArgumentError);
    const logs: string[] = [];
    expect(await generateSceneCommand(['--help'], (s) => logs.push(s))).toBe(0);
    expect(logs[0]).toContain('--kind');
  });
});
