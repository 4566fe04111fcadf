#!/usr/bin/python3
"""Goldens for lib/segmentation/membrane-pipeline.ts (`segmentMembranes`) from scipy 1.10 / skimage 0.19.

Run with Debian's Python from the repository root:  /usr/bin/python3 tests/goldens/membrane_pipeline.py

The input volumes are made by Tessera's own generator (lib/synth generateMembranes, run through
`npx tsx`), stored here as uint16 so the golden does not depend on the generator staying the same
(the test also checks that the generator still makes them bit for bit). The recipe, on arrays
indexed (z, y, x) in C order = Tessera's x-fastest memory order (so that numpy's tie orders match):

    sm       = gaussian_filter(img.astype(float32), sigma / spacing)     (img as float32 when sigma = 0)
    t        = threshold_otsu(sm)
    interior = (sm <= t) & foreground
    dist     = distance_transform_edt(interior, sampling=spacing).astype(float32)
    peaks    = peak_local_max(dist, min_distance=md, labels=interior, exclude_border=False)
               (per-axis md: bench/peer/classical_pipeline.py's anisotropic_peak_local_max)
    labels   = watershed(sm, markers = peak i -> i + 1, mask=foreground or None)
    labels   = remove_small_objects(labels, min_size)

Writes tests/goldens/data/membrane/*.bin.gz (raw little-endian arrays) and index.json.
"""
import gzip
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import scipy
import skimage
from scipy import ndimage as ndi
from skimage.feature import peak_local_max  # noqa: F401  (used through the peer)
from skimage.filters import threshold_otsu
from skimage.morphology import remove_small_objects
from skimage.segmentation import watershed

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, 'tests', 'goldens', 'data', 'membrane')
sys.path.insert(0, os.path.join(ROOT, 'bench', 'peer'))
from classical_pipeline import anisotropic_peak_local_max  # noqa: E402

# Generator options (lib/synth MembraneOptions) and pipeline parameters (physical units) per case.
# Spacings are dyadic (exact in binary), so squared distances are exact in float32 and Tessera's EDT
# equals scipy's float64 EDT cast to float32 bit for bit. With a non-dyadic spacing (e.g. 0.2 × 0.4)
# the two differ by 1 ulp on some voxels, which reorders equal-distance candidates in peak_local_max
# (98 vs 96 seeds on a 64×56×28 volume, AP@0.5 0.98 between the two): a rounding tie, not a recipe
# difference (the peer run on Tessera's EDT picks the same seeds).
CASES = [
    {'name': 'aniso',
     'synth': {'shape': [64, 56, 28], 'spacing': [0.25, 0.25, 0.5], 'cellSize': 3.6, 'thickness': 0.25,
               'intensity': 600, 'cytoplasm': 60, 'noise': 20, 'blur': 0.15, 'seed': 7},
     'params': {'smoothSigma': 0.3, 'minDistance': 1.0, 'minVoxels': 30}, 'foreground': None},
    {'name': 'iso_fg',
     'synth': {'shape': [48, 48, 40], 'spacing': [0.25, 0.25, 0.25], 'cellSize': 3.0, 'thickness': 0.25,
               'intensity': 500, 'cytoplasm': 40, 'noise': 25, 'gradient': 0.3, 'seed': 11},
     'params': {'smoothSigma': 0.4, 'minDistance': 1.0, 'minVoxels': 20}, 'foreground': 'ellipsoid'},
    {'name': 'unsmoothed',
     'synth': {'shape': [56, 48, 24], 'spacing': [0.125, 0.125, 0.25], 'cellSize': 2.0, 'thickness': 0.15,
               'intensity': 200, 'cytoplasm': 30, 'noise': 6, 'blur': 0.15, 'bitDepth': 8, 'seed': 5},
     'params': {'smoothSigma': 0.0, 'minDistance': 0.75, 'minVoxels': 40}, 'foreground': None},
]


def generate(synth):
    """The generator's uint16 image and labels, as (z, y, x) arrays."""
    with tempfile.TemporaryDirectory() as d:
        img_path, lab_path = os.path.join(d, 'img.bin'), os.path.join(d, 'lab.bin')
        script = (
            "import { writeFileSync } from 'node:fs';"
            "import { generateMembranes } from './lib/synth/membranes.ts';"
            f"const g = generateMembranes({json.dumps(synth)});"
            f"writeFileSync({json.dumps(img_path)}, Buffer.from(g.image.data.buffer));"
            f"writeFileSync({json.dumps(lab_path)}, Buffer.from(g.labels.data.buffer));"
        )
        subprocess.run(['npx', 'tsx', '--eval', script], cwd=ROOT, check=True)
        nx, ny, nz = synth['shape']
        img = np.fromfile(img_path, '<u2').reshape(nz, ny, nx)
        lab = np.fromfile(lab_path, '<u4').reshape(nz, ny, nx)
    return img, lab


def ellipsoid(shape_zyx):
    zz, yy, xx = np.indices(shape_zyx).astype(np.float64)
    c = [(n - 1) / 2 for n in shape_zyx]
    r = [0.45 * n for n in shape_zyx]
    return (((zz - c[0]) / r[0]) ** 2 + ((yy - c[1]) / r[1]) ** 2 + ((xx - c[2]) / r[2]) ** 2 <= 1).astype(np.uint8)


def pipeline(img, spacing_xyz, params, fg):
    sp = tuple(reversed(spacing_xyz))  # (z, y, x)
    sigma = params['smoothSigma']
    f = img.astype(np.float32)
    sm = ndi.gaussian_filter(f, [sigma / s for s in sp]) if sigma > 0 else f
    t = float(threshold_otsu(sm))
    interior = sm <= t
    if fg is not None:
        interior &= fg.astype(bool)
    dist = ndi.distance_transform_edt(interior, sampling=sp).astype(np.float32)
    md_zyx = [max(1, int(round(params['minDistance'] / s))) for s in sp]
    coords = anisotropic_peak_local_max(dist, md_zyx, interior, False)
    markers = np.zeros(img.shape, np.int32)
    markers[tuple(coords.T)] = np.arange(1, len(coords) + 1)
    labels = watershed(sm, markers, mask=None if fg is None else fg.astype(bool))
    labels = remove_small_objects(labels, min_size=params['minVoxels'])
    return labels, t, len(coords), list(reversed(md_zyx))


def save(index, name, arr):
    arr = np.ascontiguousarray(arr)
    dtype = {np.dtype('uint8'): 'uint8', np.dtype('<u2'): 'uint16', np.dtype('<u4'): 'uint32'}[arr.dtype]
    fname = name + '.bin.gz'
    with gzip.GzipFile(os.path.join(OUT, fname), 'wb', compresslevel=9, mtime=0) as f:
        f.write(arr.astype(arr.dtype.newbyteorder('<')).tobytes())
    index[name] = {'file': fname, 'dtype': dtype, 'length': int(arr.size)}


def main():
    os.makedirs(OUT, exist_ok=True)
    index = {'versions': {'numpy': np.__version__, 'scipy': scipy.__version__, 'skimage': skimage.__version__},
             'arrays': {}, 'cases': []}
    for case in CASES:
        img, gt = generate(case['synth'])
        fg = ellipsoid(img.shape) if case['foreground'] == 'ellipsoid' else None
        labels, t, seeds, md_xyz = pipeline(img, case['synth']['spacing'], case['params'], fg)
        name = case['name']
        save(index['arrays'], f'{name}_image', img.astype('<u2'))
        if fg is not None:
            save(index['arrays'], f'{name}_foreground', fg)
        save(index['arrays'], f'{name}_labels', labels.astype('<u4'))
        index['cases'].append({
            'name': name, 'synth': case['synth'], 'params': case['params'],
            'foreground': f'{name}_foreground' if fg is not None else None,
            'threshold': t, 'seeds': seeds, 'minDistanceVoxels': md_xyz,
            'instances': int(len(np.unique(labels)) - (1 if (labels == 0).any() else 0)),
            'gtCells': int(gt.max()),
        })
        print(name, 'threshold', t, 'seeds', seeds, 'instances', index['cases'][-1]['instances'], 'md', md_xyz)
    with open(os.path.join(OUT, 'index.json'), 'w') as f:
        json.dump(index, f, indent=1)


if __name__ == '__main__':
    main()
