#!/usr/bin/python3
"""Golden outputs of scipy 1.10 / scikit-image 0.19 for the classical segmentation CPU twins.

Run with Debian's Python:  /usr/bin/python3 tests/goldens/make_goldens.py

Writes tests/goldens/data/segmentation/*.bin.gz (raw little-endian arrays, numpy C order of shape
(nz, ny, nx), i.e. x fastest = Tessera's memory order) and index.json describing every array.

Cases:
- two touching-ball masks of 40x36x32 voxels (x, y, z), spacing (z, y, x) = (1, 1, 1) and
  (2.0, 0.7, 0.7);
- scipy EDT (float32) of each mask with that sampling;
- skimage peak_local_max(edt_f32, min_distance=md, labels=mask) for md in (2, 3) (flat indices, in
  skimage's output order);
- skimage watershed(-edt_f32, markers, mask=mask, connectivity=c) with markers = seed i -> i + 1
  (md = 2 seeds), c in (1, 3);
- scipy.ndimage.label of a sparse random mask for connectivity 1, 2, 3 (6, 18, 26);
- np.argsort of a tie-heavy float32 vector (pins numpy's introsort order used by peak_local_max).
"""
import gzip
import json
import os

import numpy as np
import scipy
import scipy.ndimage as ndi
import skimage
from skimage.feature import peak_local_max
from skimage.segmentation import watershed

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data', 'segmentation')
SHAPE_ZYX = (32, 36, 40)


def save(index, name, arr):
    arr = np.ascontiguousarray(arr)
    dtype = {np.dtype('uint8'): 'uint8', np.dtype('<u2'): 'uint16', np.dtype('<u4'): 'uint32',
             np.dtype('<f4'): 'float32', np.dtype('<i4'): 'int32'}[arr.dtype]
    fname = name + '.bin.gz'
    with gzip.GzipFile(os.path.join(OUT, fname), 'wb', compresslevel=9, mtime=0) as f:
        f.write(arr.astype(arr.dtype.newbyteorder('<')).tobytes())
    index[name] = {'file': fname, 'dtype': dtype, 'length': int(arr.size)}


def balls_mask(rng, shape, spacing, n_balls):
    """Union of touching ellipsoids (balls in physical units), lightly blurred and re-thresholded."""
    zz, yy, xx = np.indices(shape).astype(np.float64)
    sz, sy, sx = spacing
    field = np.zeros(shape)
    for _ in range(n_balls):
        c = [rng.uniform(4, s - 5) for s in shape]
        r = rng.uniform(4.5, 8.0)
        d2 = ((zz - c[0]) * sz) ** 2 + ((yy - c[1]) * sy) ** 2 + ((xx - c[2]) * sx) ** 2
        field = np.maximum(field, 1.0 - np.sqrt(d2) / r)
    field = ndi.gaussian_filter(field, 0.8)
    return (field > 0.05).astype(np.uint8)


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20240611)
    index = {'versions': {'numpy': np.__version__, 'scipy': scipy.__version__, 'skimage': skimage.__version__},
             'shape': [SHAPE_ZYX[2], SHAPE_ZYX[1], SHAPE_ZYX[0]], 'arrays': {}, 'cases': []}
    arrays = index['arrays']
    for case, spacing_zyx, n_balls in (('iso', (1.0, 1.0, 1.0), 26), ('aniso', (2.0, 0.7, 0.7), 18)):
        mask = balls_mask(rng, SHAPE_ZYX, spacing_zyx, n_balls)
        dist = ndi.distance_transform_edt(mask, sampling=spacing_zyx).astype(np.float32)
        save(arrays, f'{case}_mask', mask)
        save(arrays, f'{case}_edt', dist)
        entry = {'name': case, 'spacing': [spacing_zyx[2], spacing_zyx[1], spacing_zyx[0]],
                 'foreground': int(mask.sum())}
        for md in (1, 2, 3):
            coords = peak_local_max(dist, min_distance=md, labels=mask)
            flat = np.ravel_multi_index(tuple(coords.T), SHAPE_ZYX).astype(np.uint32)
            save(arrays, f'{case}_peaks_md{md}', flat)
            entry[f'peaks_md{md}'] = int(flat.size)
        flat = np.frombuffer(gzip.open(os.path.join(OUT, f'{case}_peaks_md2.bin.gz')).read(), '<u4')
        markers = np.zeros(SHAPE_ZYX, np.int32)
        markers.ravel()[flat] = np.arange(1, flat.size + 1)
        for c in (1, 3):
            ws = watershed(-dist, markers, mask=mask.astype(bool), connectivity=c)
            save(arrays, f'{case}_ws_c{c}', ws.astype(np.uint16))
        index['cases'].append(entry)

    # Connected components of a sparse random mask: many diagonal-only contacts.
    sparse = (ndi.gaussian_filter(rng.standard_normal(SHAPE_ZYX), 0.7) > 0.35).astype(np.uint8)
    save(arrays, 'cc_mask', sparse)
    counts = {}
    for c in (1, 2, 3):
        lab, n = ndi.label(sparse, structure=ndi.generate_binary_structure(3, c))
        save(arrays, f'cc_c{c}', lab.astype(np.uint16))
        counts[str(c)] = int(n)
    index['cc_counts'] = counts

    # numpy argsort (introsort, unstable) on a tie-heavy float32 vector.
    v = (-rng.integers(0, 25, 5000).astype(np.float32) * np.float32(0.5))
    save(arrays, 'argsort_values', v)
    save(arrays, 'argsort_order', np.argsort(v).astype(np.uint32))

    with open(os.path.join(OUT, 'index.json'), 'w') as f:
        json.dump(index, f, indent=1)
    total = sum(os.path.getsize(os.path.join(OUT, a['file'])) for a in arrays.values())
    print(json.dumps(index['cases']), index['cc_counts'], f'{total / 1024:.0f} KiB')


if __name__ == '__main__':
    main()
