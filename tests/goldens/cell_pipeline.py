#!/usr/bin/python3
"""Goldens for lib/model/cell-instances.ts: the instance step of the bundled U-Nets, computed by
training/unet/evaluate.py `instances` (scipy 1.10 / scikit-image 0.19), the recipe the models were
validated with during training.

Run with Debian's Python:  /usr/bin/python3 tests/goldens/cell_pipeline.py

Scene: 9 touching balls (radii 5-8 voxels) in a 48x40x32 (x, y, z) grid, labels by nearest centre
inside the union. Network-like maps from it, blurred (sigma 1) and with seeded noise:
- p = foreground probability;
- q_distance = per-instance distance to the instance surface / its maximum (nuclei head);
- q_boundary = instance shells (a voxel with a differently-labelled 6-neighbour) (cells head).
Label maps: distance mode (core components; core-EDT peaks, min distance 3, smoothed with
sigma 1; core-EDT basins split at necks, saddle ratio 0.6, smoothed with sigma 1); boundary mode with peak seeds (min distance 3); boundary mode with
core-component seeds (distance > 2, smoothed with sigma 1).
Writes tests/goldens/data/cell-pipeline/{p,q_distance,q_boundary,gt,labels_distance,labels_boundary}
.bin.gz (little-endian, C order (z, y, x) = Tessera's x-fastest order) and index.json.
"""
import gzip
import json
import os
import sys

import numpy as np
import scipy.ndimage as ndi

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'training', 'unet'))
from evaluate import instances  # noqa: E402

OUT = os.path.join(HERE, 'data', 'cell-pipeline')
SHAPE_ZYX = (32, 40, 48)


def save(index, name, arr):
    arr = np.ascontiguousarray(arr)
    dtype = {np.dtype('<u4'): 'uint32', np.dtype('<f4'): 'float32'}[arr.dtype]
    with gzip.GzipFile(os.path.join(OUT, name + '.bin.gz'), 'wb', compresslevel=9, mtime=0) as f:
        f.write(arr.tobytes())
    index['arrays'][name] = {'file': name + '.bin.gz', 'dtype': dtype, 'length': int(arr.size)}


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(5)
    zz, yy, xx = np.indices(SHAPE_ZYX).astype(np.float64)
    centres, radii = [], []
    while len(centres) < 9:
        c = np.array([rng.uniform(7, s - 8) for s in SHAPE_ZYX])
        r = rng.uniform(5, 8)
        if all(np.linalg.norm(c - c2) > 0.8 * (r + r2) for c2, r2 in zip(centres, radii)):
            centres.append(c)
            radii.append(r)
    d = np.stack([np.sqrt((zz - c[0]) ** 2 + (yy - c[1]) ** 2 + (xx - c[2]) ** 2) / r for c, r in zip(centres, radii)])
    inside = d.min(0) < 1
    gt = np.where(inside, d.argmin(0) + 1, 0).astype(np.uint32)
    dist = np.zeros(SHAPE_ZYX)
    for k in range(1, len(centres) + 1):
        e = ndi.distance_transform_edt(gt == k)
        if e.max() > 0:
            dist[gt == k] = (e / e.max())[gt == k]
    shell = np.zeros(SHAPE_ZYX, bool)
    for ax in range(3):
        for sh in (1, -1):
            shell |= (gt != np.roll(gt, sh, axis=ax)) & (gt > 0)

    def blur_noise(a):
        b = ndi.gaussian_filter(a.astype(np.float64), 1.0) + rng.normal(0, 0.04, SHAPE_ZYX)
        return (np.round(np.clip(b, 0, 1) * 255) / 255).astype(np.float32)  # 8-bit steps: small goldens

    p = blur_noise(inside)
    q_distance = blur_noise(dist)
    q_boundary = blur_noise(shell)
    lab_d = instances(p, q_distance, 'distance').astype(np.uint32)
    lab_dm = instances(p, q_distance, 'distance', seedMethod='maxima', seedMinDistance=3, seedSmoothing=1.0).astype(np.uint32)
    lab_ds = instances(p, q_distance, 'distance', seedMethod='saddle', seedSaddleRatio=0.6, seedSmoothing=1.0).astype(np.uint32)
    lab_b = instances(p, q_boundary, 'boundary').astype(np.uint32)
    lab_bc = instances(p, q_boundary, 'boundary', seedMethod='components', seedMinDistance=2, seedSmoothing=1.0).astype(np.uint32)
    index = {'shape': list(SHAPE_ZYX[::-1]), 'arrays': {}, 'counts': {
        'gt': int(gt.max()), 'distance': int(len(np.unique(lab_d)) - 1), 'distance_maxima': int(len(np.unique(lab_dm)) - 1), 'distance_saddle': int(len(np.unique(lab_ds)) - 1), 'boundary': int(len(np.unique(lab_b)) - 1), 'boundary_components': int(len(np.unique(lab_bc)) - 1)},
        'params': {'foregroundThreshold': 0.5, 'secondThreshold': 0.5, 'minSeedVoxels': 8, 'seedMinDistance': 3, 'minVoxels': 20}}
    for name, arr in [('p', p), ('q_distance', q_distance), ('q_boundary', q_boundary), ('gt', gt),
                      ('labels_distance', lab_d), ('labels_distance_maxima', lab_dm), ('labels_distance_saddle', lab_ds), ('labels_boundary', lab_b), ('labels_boundary_components', lab_bc)]:
        save(index, name, arr)
    with open(os.path.join(OUT, 'index.json'), 'w') as f:
        json.dump(index, f, indent=1)
        f.write('\n')
    print(json.dumps(index['counts']))


if __name__ == '__main__':
    main()
