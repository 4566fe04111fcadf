#!/usr/bin/env python3
"""Goldens for lib/segmentation/{gaussian,otsu,relabel,stats}.ts from scipy 1.10 / skimage 0.19.

Run with Debian's Python: /usr/bin/python3 tests/goldens/make_pipeline_goldens.py
Writes small JSON files to tests/goldens/pipeline/. Arrays are stored flattened x-fastest
(NumPy arrays are indexed [x, y, z] and flattened in Fortran order), as lib/volume.ts lays them out.
"""
import json
import os

import numpy as np
import scipy
import skimage
from scipy import ndimage as ndi
from skimage.filters import threshold_otsu
from skimage.measure import regionprops
from skimage.morphology import remove_small_objects

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'pipeline')
rng = np.random.default_rng(20240611)


def flat(a):
    return np.asarray(a).ravel(order='F').tolist()


def dump(name, obj):
    obj['generator'] = f'scipy {scipy.__version__}, skimage {skimage.__version__}, numpy {np.__version__}'
    with open(os.path.join(OUT, name), 'w') as f:
        json.dump(obj, f, separators=(',', ':'))


def gaussian_cases():
    cases = []
    for shape, spacing, sigma, mode in [
        ((9, 7, 5), (1.0, 0.8, 2.0), 1.3, 'reflect'),
        ((12, 10, 6), (0.5, 0.5, 1.0), 1.0, 'reflect'),
        ((8, 6, 3), (1.0, 1.0, 1.0), 2.5, 'reflect'),  # kernel wider than the axes
        ((9, 7, 5), (1.0, 0.8, 2.0), 1.3, 'nearest'),
        ((9, 7, 5), (1.0, 0.8, 2.0), 1.3, 'mirror'),
        ((9, 7, 5), (1.0, 0.8, 2.0), 1.3, 'constant'),
    ]:
        a = (rng.random(shape) * 1000).astype(np.float32)
        sig = [sigma / s for s in spacing]
        out = ndi.gaussian_filter(a, sig, mode=mode, truncate=4.0)
        cases.append({'shape': shape, 'spacing': spacing, 'sigma': sigma, 'mode': mode,
                      'input': flat(a), 'expected': flat(out)})
    dump('gaussian.json', {'cases': cases})


def otsu_cases():
    cases = []
    # float32 bimodal volumes
    for n, (m1, m2) in [(1500, (100.0, 400.0)), (1200, (0.2, 0.7)), (1000, (-5.0, 3.0))]:
        k = rng.random(n) < 0.3
        v = np.where(k, rng.normal(m2, abs(m2 - m1) / 6, n), rng.normal(m1, abs(m2 - m1) / 5, n))
        a = v.astype(np.float32).reshape((10, n // 50, 5), order='F')
        cases.append({'dtype': 'float32', 'shape': a.shape, 'input': flat(a), 'expected': float(threshold_otsu(a))})
        a64 = v.astype(np.float64).reshape((10, n // 50, 5), order='F')
        cases.append({'dtype': 'float64', 'shape': a64.shape, 'input': flat(a64), 'expected': float(threshold_otsu(a64))})
    # uint16 (one bin per integer value) and uint8
    v = np.concatenate([rng.poisson(120, 1500), rng.poisson(700, 500)]).astype(np.uint16)
    rng.shuffle(v)
    a = v.reshape((10, 20, 10), order='F')
    cases.append({'dtype': 'uint16', 'shape': a.shape, 'input': flat(a), 'expected': float(threshold_otsu(a))})
    v = np.concatenate([rng.integers(10, 60, 500), rng.integers(150, 240, 300)]).astype(np.uint8)
    rng.shuffle(v)
    a = v.reshape((8, 10, 10), order='F')
    cases.append({'dtype': 'uint8', 'shape': a.shape, 'input': flat(a), 'expected': float(threshold_otsu(a))})
    # smoothed float32 data, as the pipeline produces it
    base = np.zeros((20, 16, 8), np.float32)
    base[3:10, 5:14, 2:6] = 500
    base[13:19, 3:12, 3:7] = 300
    base += rng.normal(100, 20, base.shape).astype(np.float32)
    sm = ndi.gaussian_filter(base, (2.0, 2.0, 1.0))
    cases.append({'dtype': 'float32', 'shape': sm.shape, 'input': flat(sm), 'expected': float(threshold_otsu(sm))})
    dump('otsu.json', {'cases': cases})


def relabel_stats_cases():
    cases = []
    shape = (14, 11, 7)
    lab = np.zeros(shape, np.uint32)
    ids = [7, 3, 12, 40, 5]
    for i, l in enumerate(ids):
        x0, y0, z0 = rng.integers(0, 10), rng.integers(0, 8), rng.integers(0, 5)
        sx, sy, sz = rng.integers(1, 6), rng.integers(1, 5), rng.integers(1, 4)
        lab[x0:x0 + sx, y0:y0 + sy, z0:z0 + sz] = l
    lab[0, 0, 6] = 99  # a single-voxel object
    spacing = (0.5, 0.7, 2.0)
    for min_size in [0, 3, 10]:
        kept = remove_small_objects(lab.astype(np.int64), min_size=min_size) if min_size > 0 else lab.astype(np.int64)
        f = kept.ravel(order='F')
        uniq, first = np.unique(f[f > 0], return_index=True)
        order = uniq[np.argsort(first)]
        remap = {int(l): i + 1 for i, l in enumerate(order)}
        rel = np.vectorize(lambda v: remap.get(int(v), 0))(kept).astype(np.uint32) if len(order) else np.zeros_like(lab)
        cases.append({'kind': 'relabel', 'shape': shape, 'minVoxels': min_size, 'input': flat(lab),
                      'expected': flat(rel), 'count': len(order)})
    affine = [[0.0, -spacing[1], 0.0, 10.0], [spacing[0], 0.0, 0.0, -4.0], [0.0, 0.0, spacing[2], 2.5], [0, 0, 0, 1.0]]
    props = []
    for r in regionprops(lab.astype(np.int64)):
        c = np.array(r.centroid)
        w = np.array(affine)[:3, :3] @ c + np.array(affine)[:3, 3]
        props.append({'labelId': int(r.label), 'voxels': int(r.area),
                      'volume': float(r.area * spacing[0] * spacing[1] * spacing[2]),
                      'centroid': c.tolist(), 'centroidWorld': w.tolist(),
                      'bboxMin': list(r.bbox[:3]), 'bboxMaxExclusive': list(r.bbox[3:])})
    cases.append({'kind': 'stats', 'shape': shape, 'spacing': spacing, 'affine': affine, 'input': flat(lab),
                  'expected': props})
    dump('relabel_stats.json', {'cases': cases})


def pipeline_case():
    """Touching blobs + noise through the scipy/skimage peer (bench/peer/classical_pipeline.py)."""
    import base64
    import importlib.util
    peer_path = os.path.join(os.path.dirname(OUT), '..', '..', 'bench', 'peer', 'classical_pipeline.py')
    spec = importlib.util.spec_from_file_location('peer', peer_path)
    peer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(peer)
    shape, spacing = (40, 36, 18), (0.5, 0.5, 1.0)
    x, y, z = np.meshgrid(*[np.arange(n) * s for n, s in zip(shape, spacing)], indexing='ij')
    img = np.full(shape, 100.0)
    for (cx, cy, cz, r, b) in [(6, 8, 8, 4.0, 500), (12.5, 8.5, 9, 3.6, 380), (9, 13.5, 8, 3.2, 620),
                               (14, 14, 11, 2.8, 450), (4, 4, 14, 2.5, 550)]:
        img[(x - cx) ** 2 + (y - cy) ** 2 + (z - cz) ** 2 <= r * r] = 100 + b
    img = ndi.gaussian_filter(img, [1.0, 1.0, 0.5])
    img = np.clip(np.rint(img + rng.normal(0, 20, shape)), 0, 65535).astype(np.uint16)
    cases = []
    for smooth, md, min_size in [(0.5, (6, 6, 3), 20), (0.0, (4, 4, 2), 0), (1.0, (3, 3, 2), 50)]:
        labels, _, info = peer.run_pipeline(img, spacing, smooth, md, None, min_size, False)
        cases.append({'smooth': smooth, 'minDistanceVoxels': md, 'minVoxels': min_size,
                      'threshold': info['threshold'], 'seeds': int(len(info['coords'])),
                      'labels_u16_b64': base64.b64encode(labels.astype('<u2').ravel(order='F').tobytes()).decode()})
    dump('pipeline.json', {'shape': shape, 'spacing': spacing,
                           'image_u16_b64': base64.b64encode(img.astype('<u2').ravel(order='F').tobytes()).decode(),
                           'cases': cases})


if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    gaussian_cases()
    otsu_cases()
    relabel_stats_cases()
    pipeline_case()
    print('wrote', sorted(os.listdir(OUT)))
