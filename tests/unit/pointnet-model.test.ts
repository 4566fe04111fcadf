/**
 * PointNet++ instance model (lib/pointnet/model) on the CPU twins: torch parity on a committed
 * fixture (FPS indices exact, features / logits / offsets ≤ 1e-4), the ONNX blocks against
 * onnxruntime-node, the grid 3-NN and the radius components against brute force, the support-plane
 * fit on a hand-made tilted scene, output invariants and typed errors.
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { TesseraError } from '../../lib/errors';
import { finishCloud } from '../../lib/formats/pointcloud/types';
import { threeNN } from '../../lib/pointnet/interpolate';
import { mlpLayer, sharedMlp } from '../../lib/pointnet/mlp';
import { dist2 } from '../../lib/pointnet/common';
import {
  applyFrame, fitSupportFrame, meanShiftClusters, parsePointNetCard, radiusComponents, runNetwork, segmentPoints, threeNNGrid,
} from '../../lib/pointnet/model';
import { mulberry32 } from '../../lib/synth/prng';
import { VALIDATION_SEED_START, generateScene } from '../../lib/synth/scenes';
import { MODEL_DIR, committedModel, decodeF32, decodeI32 } from './pointnet-model-helpers';

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('torch parity (tests/fixtures/pointnet_model_parity.json, written by training/pointnet/export.py)', () => {
  it('FPS indices equal; SA3 / FP3 features, logits and offsets within 1e-4 of torch', () => {
    const fx = JSON.parse(readFileSync(new URL('../fixtures/pointnet_model_parity.json', import.meta.url), 'utf8'));
    const model = committedModel();
    const xyz = decodeF32(fx.input);
    expect(xyz.length).toBe(3 * fx.n);
    const out = runNetwork(model.card, model.weights, xyz, fx.n);
    for (let l = 0; l < 3; l++) expect(Array.from(out.trace.fps[l])).toEqual(Array.from(decodeI32(fx.fps[l])));
    expect(maxAbs(out.trace.sa[2], decodeF32(fx.sa3.data))).toBeLessThanOrEqual(1e-4);
    expect(maxAbs(out.trace.fp[0], decodeF32(fx.fp3.data))).toBeLessThanOrEqual(1e-4);
    const C = out.classes, every = fx.rows.every, rows = fx.rows.count;
    const lg = new Float32Array(rows * C), of = new Float32Array(rows * 3);
    for (let r = 0; r < rows; r++) {
      lg.set(out.trace.logits.subarray(r * every * C, r * every * C + C), r * C);
      of.set(out.offsets.subarray(r * every * 3, r * every * 3 + 3), r * 3);
    }
    expect(maxAbs(lg, decodeF32(fx.logits.data))).toBeLessThanOrEqual(1e-4);
    expect(maxAbs(of, decodeF32(fx.offsets.data))).toBeLessThanOrEqual(1e-4);
  });
});

describe('committed ONNX blocks vs onnxruntime-node', () => {
  it('every block equals the twin shared MLP on the loaded initializers (≤ 1e-5 relative to the output scale)', async () => {
    const model = committedModel();
    const w = model.weights;
    const session = await ort.InferenceSession.create(readFileSync(new URL(model.card.weights, MODEL_DIR)));
    const rows = 37;
    const r = mulberry32(5);
    const feeds: Record<string, ort.Tensor> = {};
    const inputs: Record<string, Float32Array> = {};
    const blocks = { sa1: w.sa1, sa2: w.sa2, sa3: w.sa3, fp3: w.fp3, fp2: w.fp2, fp1: w.fp1 } as const;
    for (const [k, layers] of Object.entries(blocks)) {
      inputs[k] = new Float32Array(rows * layers[0].cin).map(() => 2 * r() - 1);
      feeds[`${k}_in`] = new ort.Tensor('float32', inputs[k], [rows, layers[0].cin]);
    }
    const head = new Float32Array(rows * w.clsHidden[0].cin).map(() => 2 * r() - 1);
    feeds.head_in = new ort.Tensor('float32', head, [rows, w.clsHidden[0].cin]);
    const res = await session.run(feeds);
    // ort sums in f32, the twin in f64 (rounded per layer): compare relative to the output's scale
    const close = (got: Float32Array, want: Float32Array) => {
      const scale = Math.max(1, ...Array.from(want, Math.abs));
      expect(maxAbs(got, want) / scale).toBeLessThanOrEqual(1e-5);
    };
    for (const [k, layers] of Object.entries(blocks)) close(res[`${k}_out`].data as Float32Array, sharedMlp(inputs[k], rows, layers));
    close(res.class_logits.data as Float32Array, mlpLayer(sharedMlp(head, rows, w.clsHidden), rows, w.clsOut, false));
    close(res.offsets.data as Float32Array, mlpLayer(sharedMlp(head, rows, w.offHidden), rows, w.offOut, false));
  });
});

describe('threeNNGrid', () => {
  it('equals the brute-force threeNN (random, lattice ties with duplicates, queries outside the box)', () => {
    const r = mulberry32(11);
    const known = new Float32Array(3 * 700).map(() => r());
    const unknown = new Float32Array(3 * 900).map(() => 1.6 * r() - 0.3);
    for (const [u, n, k, m] of [[unknown, 900, known, 700]] as const) {
      const a = threeNN(u, n, k, m), b = threeNNGrid(u, n, k, m);
      expect(Array.from(b.idx)).toEqual(Array.from(a.idx));
      expect(Array.from(b.dist2)).toEqual(Array.from(a.dist2));
    }
    // a flat lattice with duplicated points: exact ties everywhere (ties → lower index)
    const lat: number[] = [];
    for (let y = 0; y < 12; y++) for (let x = 0; x < 12; x++) lat.push(x * 0.25, y * 0.25, 0);
    for (let i = 0; i < 30; i++) lat.push(lat[9 * i], lat[9 * i + 1], lat[9 * i + 2]);
    const K = new Float32Array(lat), m = lat.length / 3;
    const U = new Float32Array(3 * 300).map((_, i) => (i % 3 === 2 ? 0 : Math.round(r() * 12) * 0.125));
    const a = threeNN(U, 300, K, m), b = threeNNGrid(U, 300, K, m);
    expect(Array.from(b.idx)).toEqual(Array.from(a.idx));
    expect(Array.from(b.dist2)).toEqual(Array.from(a.dist2));
  });
});

describe('radiusComponents', () => {
  it('equals brute-force connectivity (dist2 < r², strict), numbered by lowest index, minPoints', () => {
    const r = mulberry32(3);
    const n = 600;
    const p = new Float32Array(3 * n).map(() => r());
    const radius = 0.07;
    const got = radiusComponents(p, n, radius).labels;
    // oracle: BFS over the O(n²) graph
    const lab = new Int32Array(n);
    let next = 0;
    const r2 = Math.fround(radius * radius);
    for (let s = 0; s < n; s++) {
      if (lab[s]) continue;
      lab[s] = ++next;
      const q = [s];
      while (q.length) {
        const i = q.pop()!;
        for (let j = 0; j < n; j++) if (!lab[j] && dist2(p, i, p, j) < r2) { lab[j] = next; q.push(j); }
      }
    }
    expect(Array.from(got)).toEqual(Array.from(lab));
    // DBSCAN oracle (O(n²)): core = ≥ 4 points in reach; core BFS; border → nearest core (lowest index)
    const reach = (i: number) => Array.from({ length: n }, (_, j) => j).filter((j) => dist2(p, i, p, j) < r2);
    const core = Array.from({ length: n }, (_, i) => reach(i).length >= 4);
    const cl = new Int32Array(n).fill(-1);
    let c = 0;
    for (let s = 0; s < n; s++) {
      if (!core[s] || cl[s] >= 0) continue;
      cl[s] = c;
      const q = [s];
      while (q.length) for (const j of reach(q.pop()!)) if (core[j] && cl[j] < 0) { cl[j] = c; q.push(j); }
      c++;
    }
    const comp = Array.from({ length: n }, (_, i) => {
      if (core[i]) return cl[i];
      const near = reach(i).filter((j) => core[j]).sort((a, b) => dist2(p, i, p, a) - dist2(p, i, p, b) || a - b);
      return near.length ? cl[near[0]] : -1;
    });
    const ids = new Map<number, number>();
    const want = comp.map((k) => (k < 0 ? 0 : (ids.has(k) ? ids.get(k)! : (ids.set(k, ids.size + 1), ids.size))));
    expect(Array.from(radiusComponents(p, n, radius, 1, 4).labels)).toEqual(want);
    // hand-made (exact in f32): two pairs 1/16 apart, far from each other, and a singleton
    const h = new Float32Array([0, 0, 0, 0.0625, 0, 0, 5, 5, 5, 1, 0, 0, 1.0625, 0, 0]);
    expect(Array.from(radiusComponents(h, 5, 0.07).labels)).toEqual([1, 1, 2, 3, 3]);
    expect(Array.from(radiusComponents(h, 5, 0.07, 2).labels)).toEqual([1, 1, 0, 2, 2]); // minPoints drops the singleton
    expect(Array.from(radiusComponents(h, 5, 0.0625).labels)).toEqual([1, 2, 3, 4, 5]); // d² = r²: not connected (strict <)
    // DBSCAN (coreNeighbours): two runs of 5 points 5 mm apart joined by one stray point 10.5 mm
    // from each run's end; radius 11 mm. Points in reach (itself included): run middles 5, the
    // others 4 (ends count the bridge), the bridge 3. With coreNeighbours 5 only the middles are
    // core: each run joins its middle, the bridge (no core point in reach) joins none. Plain
    // components chain everything into one.
    const xs = [0, 0.005, 0.01, 0.015, 0.02, 0.0305, 0.041, 0.046, 0.051, 0.056, 0.061];
    const chain = new Float32Array(xs.flatMap((x) => [x, 0, 0]));
    expect(Array.from(radiusComponents(chain, xs.length, 0.011).labels)).toEqual(xs.map(() => 1));
    expect(Array.from(radiusComponents(chain, xs.length, 0.011, 1, 5).labels)).toEqual([1, 1, 1, 1, 1, 0, 2, 2, 2, 2, 2]);
  });
});

describe('meanShiftClusters', () => {
  it('modes equal a brute-force flat-kernel mean shift; touching blobs stay apart', () => {
    const r = mulberry32(21);
    // two dense blobs 6 cm apart joined by a sparse bridge, plus a far singleton
    const pts: number[] = [];
    for (let i = 0; i < 150; i++) pts.push(0.012 * (r() + r() + r() - 1.5), 0.012 * (r() + r() + r() - 1.5), 0.012 * (r() + r() + r() - 1.5));
    for (let i = 0; i < 150; i++) pts.push(0.06 + 0.012 * (r() + r() + r() - 1.5), 0.012 * (r() + r() + r() - 1.5), 0.012 * (r() + r() + r() - 1.5));
    for (let k = 1; k < 12; k++) pts.push(0.005 * k, 0, 0);
    pts.push(1, 1, 1);
    const P = new Float32Array(pts), n = pts.length / 3;
    const bw = 0.03;
    // oracle: index-order scan of all points, f64 sums, f32 state
    const fr = Math.fround, b2 = fr(bw * bw);
    const want = new Float32Array(3 * n);
    for (let i = 0; i < n; i++) {
      let c = [P[3 * i], P[3 * i + 1], P[3 * i + 2]];
      for (let it = 0; it < 30; it++) {
        let sx = 0, sy = 0, sz = 0, k = 0;
        for (let j = 0; j < n; j++) {
          const ex = fr(P[3 * j] - c[0]), ey = fr(P[3 * j + 1] - c[1]), ez = fr(P[3 * j + 2] - c[2]);
          if (fr(fr(fr(ex * ex) + fr(ey * ey)) + fr(ez * ez)) < b2) { sx += P[3 * j]; sy += P[3 * j + 1]; sz += P[3 * j + 2]; k++; }
        }
        const nc = [fr(sx / k), fr(sy / k), fr(sz / k)];
        const moved = Math.hypot(nc[0] - c[0], nc[1] - c[1], nc[2] - c[2]);
        c = nc;
        if (moved < 1e-4 * bw) break;
      }
      want.set(c, 3 * i);
    }
    const got = meanShiftClusters(P, n, bw, 5);
    expect(Array.from(got.modes)).toEqual(Array.from(want));
    expect(got.count).toBe(2);
    expect(new Set(got.labels.subarray(0, 150))).toEqual(new Set([1]));
    expect(new Set(got.labels.subarray(150, 300))).toEqual(new Set([2]));
    expect(got.labels[n - 1]).toBe(0); // singleton below minPoints
    // radius-connected components at the same radius chain the blobs through the bridge
    expect(radiusComponents(P, n, bw, 5).count).toBe(1);
  });
});

describe('fitSupportFrame', () => {
  it('recovers a tilted floor in a camera-like frame, its up side, and aligns heights', () => {
    const r = mulberry32(9);
    // floor plane with normal nrm through (0, 0.5, -1); a 10 cm box of points standing on it
    const nrm = [0, 0.8, 0.6];
    const u = [1, 0, 0], v = [0, 0.6, -0.8];
    const pts: number[] = [];
    const at = (a: number, b: number, h: number) => [0 + a * u[0] + b * v[0] + h * nrm[0], 0.5 + a * u[1] + b * v[1] + h * nrm[1], -1 + a * u[2] + b * v[2] + h * nrm[2]];
    for (let i = 0; i < 6000; i++) pts.push(...at(2 * r() - 1, 2 * r() - 1, 0.001 * (2 * r() - 1)));
    for (let i = 0; i < 1500; i++) pts.push(...at(0.1 * r(), 0.1 * r(), 0.02 + 0.1 * r()));
    const P = new Float32Array(pts), n = pts.length / 3;
    const f = fitSupportFrame(P, n);
    const dot = f.normal[0] * nrm[0] + f.normal[1] * nrm[1] + f.normal[2] * nrm[2];
    expect(dot).toBeGreaterThan(0.9999);
    const q = applyFrame(P, n, f);
    let maxFloor = 0, minBox = Infinity;
    for (let i = 0; i < 6000; i++) maxFloor = Math.max(maxFloor, Math.abs(q[3 * i + 2]));
    for (let i = 6000; i < n; i++) minBox = Math.min(minBox, q[3 * i + 2]);
    expect(maxFloor).toBeLessThan(0.003);
    expect(minBox).toBeGreaterThan(0.015);
  });
});

describe('segmentPoints', () => {
  it('labels every point in input order; invalid and background points get 0; input unchanged', () => {
    const model = committedModel();
    const scene = generateScene({ seed: VALIDATION_SEED_START + 42, kind: 'tabletop', objects: [6, 6] });
    // append 50 NaN points to check invalid handling
    const n0 = scene.cloud.count, n = n0 + 50;
    const pos = new Float32Array(3 * n).fill(Number.NaN);
    pos.set(scene.cloud.positions);
    const cloud = finishCloud({ positions: pos, count: n });
    const copy = pos.slice();
    const seg = segmentPoints(cloud, model);
    expect(Array.from(pos.subarray(0, 3 * n0))).toEqual(Array.from(copy.subarray(0, 3 * n0)));
    expect(seg.instance.length).toBe(n);
    expect(seg.classIds.length).toBe(n);
    for (let i = n0; i < n; i++) expect([seg.instance[i], seg.classIds[i]]).toEqual([0, 0]);
    const ids = new Set<number>();
    for (let i = 0; i < n; i++) {
      if (seg.instance[i] > 0) {
        ids.add(seg.instance[i]);
        expect(model.card.backgroundClasses).not.toContain(seg.classIds[i]);
      }
    }
    expect([...ids].sort((a, b) => a - b)).toEqual(seg.instances.map((s) => s.id));
    expect(seg.instances.map((s) => s.id)).toEqual(seg.instances.map((_, i) => i + 1));
    for (const s of seg.instances) {
      expect(s.points).toBe(seg.instance.filter((v) => v === s.id).length);
      expect(s.score).toBeGreaterThan(0);
      expect(s.score).toBeLessThanOrEqual(1);
    }
    // deterministic
    expect(Array.from(segmentPoints(cloud, model).instance)).toEqual(Array.from(seg.instance));
  });

  it('throws typed errors for unusable input', () => {
    const model = committedModel();
    const tiny = finishCloud({ positions: new Float32Array([0, 0, 0, 1, 0, 0]), count: 2 });
    expect(() => segmentPoints(tiny, model)).toThrow(TesseraError);
    const flat = finishCloud({ positions: new Float32Array(3 * 400).map((_, i) => (i % 3 === 2 ? 0 : (i * 0.618) % 1)), count: 400 });
    expect(() => segmentPoints(flat, model)).toThrow(/within \[0\.01, 0\.6\] m of the support plane/);
    const scene = generateScene({ seed: VALIDATION_SEED_START + 7, kind: 'tabletop', objects: [6, 6], points: 20_000 });
    expect(() => segmentPoints(scene.cloud, model, { clusterRadius: 0 })).toThrow(TesseraError);
    expect(() => parsePointNetCard({ ...model.card, npoint: [1, 2] })).toThrow(/npoint/);
  });
});
