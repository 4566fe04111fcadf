#!/usr/bin/env python3
"""scipy/scikit-image peer of Tessera's classical pipeline (lib/segmentation/pipeline.ts).

    gaussian_filter -> threshold_otsu -> distance_transform_edt(sampling=spacing)
    -> peak_local_max(distance, min_distance, labels=mask) -> watershed(-distance, markers, mask=mask)
    -> remove_small_objects -> regionprops

Usage (Debian's Python: /usr/bin/python3):
    classical_pipeline.py INPUT [--out labels.nii.gz] [--json times.json] [--smooth SIGMA]
        [--min-distance D | --min-distance-voxels X,Y,Z] [--threshold T] [--min-size N]
        [--exclude-border] [--raw-shape X,Y,Z --raw-dtype uint16 --spacing X,Y,Z]

INPUT is a NIfTI (.nii/.nii.gz, read with nibabel; arrays are indexed [x, y, z]) or a headerless
raw file stored x fastest (give --raw-shape, --raw-dtype and --spacing). --smooth and --min-distance
are physical (the spacing's units); per-axis voxels are sigma/spacing and max(1, round(d/spacing)).
skimage 0.19's peak_local_max takes one integer min_distance; for an anisotropic per-axis value the
footprint is the (2m+1)-box and ensure_spacing runs on coordinates scaled by 1/m per axis (the same
greedy Chebyshev suppression, generalised per axis). Writes per-stage times (ms) and versions as JSON.
Exit 3 when numpy/scipy/scikit-image (or nibabel, for NIfTI) are missing; 2 on bad arguments.
"""
import argparse
import json
import sys
import time

try:
    import numpy as np
    import scipy
    import skimage
    from scipy import ndimage as ndi
    from skimage.feature import peak_local_max
    import skimage.feature.peak as _peak_module
    from skimage.filters import threshold_otsu
    from skimage.measure import regionprops
    from skimage.morphology import remove_small_objects
    from skimage.segmentation import watershed
except ImportError as e:  # pragma: no cover - environment dependent
    print(f'error: the peer needs numpy, scipy and scikit-image ({e}). '
          'Install python3-scipy and python3-skimage (apt) and run with /usr/bin/python3.', file=sys.stderr)
    sys.exit(3)


def triple(s, kind):
    parts = [kind(p) for p in s.split(',')]
    if len(parts) != 3:
        raise argparse.ArgumentTypeError(f'expected three comma-separated values, got {s!r}')
    return parts


def load(args):
    if args.raw_shape:
        if not args.spacing or not args.raw_dtype:
            raise SystemExit('error: raw input needs --raw-shape, --raw-dtype and --spacing')
        data = np.fromfile(args.input, dtype=np.dtype(args.raw_dtype)).reshape(args.raw_shape, order='F')
        return data, tuple(float(s) for s in args.spacing), None
    try:
        import nibabel as nib
    except ImportError as e:  # pragma: no cover
        print(f'error: reading NIfTI needs nibabel ({e}). Install python3-nibabel (apt).', file=sys.stderr)
        sys.exit(3)
    img = nib.load(args.input)
    data = np.asanyarray(img.dataobj)
    if data.ndim > 3:
        data = data[..., 0]
    return data, tuple(float(z) for z in img.header.get_zooms()[:3]), img


def anisotropic_peak_local_max(distance, md, mask, exclude_border):
    """peak_local_max with a per-axis integer min distance (see the module docstring)."""
    md = [int(m) for m in md]
    if md[0] == md[1] == md[2]:
        return peak_local_max(distance, min_distance=md[0], labels=mask.astype(np.int32),
                              exclude_border=exclude_border)
    footprint = np.ones([2 * m + 1 for m in md], dtype=bool)
    scale = np.asarray(md, dtype=np.float64)
    original = _peak_module.ensure_spacing

    def scaled_spacing(coords, spacing=1, p_norm=np.inf, max_out=None, **kw):
        if len(coords) == 0:
            return coords
        kept = original(np.asarray(coords, dtype=np.float64) / scale, spacing=1.0, p_norm=p_norm, max_out=max_out, **kw)
        return np.rint(kept * scale).astype(np.asarray(coords).dtype)

    _peak_module.ensure_spacing = scaled_spacing
    try:
        if exclude_border:
            border = tuple(md)
        else:
            border = False
        return peak_local_max(distance, min_distance=1, footprint=footprint, labels=mask.astype(np.int32),
                              exclude_border=border)
    finally:
        _peak_module.ensure_spacing = original


def run_pipeline(data, spacing, smooth, md, threshold=None, min_size=50, exclude_border=False):
    """The peer pipeline on an [x, y, z] array; returns (labels, stage times in ms, info)."""
    times = {}
    t = time.perf_counter()

    def lap(name):
        nonlocal t
        now = time.perf_counter()
        times[name] = (now - t) * 1000.0
        t = now

    sig = [smooth / s for s in spacing]
    sm = ndi.gaussian_filter(data.astype(np.float32), sig) if smooth > 0 else data
    lap('smooth')
    thr = float(threshold_otsu(sm)) if threshold is None else threshold
    mask = sm > thr
    lap('threshold')
    distance = ndi.distance_transform_edt(mask, sampling=spacing)
    lap('edt')
    coords = anisotropic_peak_local_max(distance, md, mask, exclude_border)
    lap('seeds')
    markers = np.zeros(mask.shape, dtype=np.int32)
    markers[tuple(coords.T)] = np.arange(1, len(coords) + 1)
    labels = watershed(-distance, markers, mask=mask)
    lap('watershed')
    labels = remove_small_objects(labels, min_size=min_size) if min_size > 0 else labels
    lap('relabel')
    props = [(r.label, r.area, r.centroid, r.bbox) for r in regionprops(labels)]
    lap('stats')
    return labels, times, {'threshold': thr, 'sigma': sig if smooth > 0 else [0, 0, 0], 'coords': coords, 'props': props}


def main():
    ap = argparse.ArgumentParser(description='scipy/skimage classical nuclei pipeline (Tessera peer)')
    ap.add_argument('input')
    ap.add_argument('--out')
    ap.add_argument('--json')
    ap.add_argument('--smooth', type=float, default=0.5)
    ap.add_argument('--min-distance', type=float, default=3.0)
    ap.add_argument('--min-distance-voxels', type=lambda s: triple(s, int))
    ap.add_argument('--threshold', type=float)
    ap.add_argument('--min-size', type=int, default=50)
    ap.add_argument('--exclude-border', action='store_true')
    ap.add_argument('--raw-shape', type=lambda s: triple(s, int))
    ap.add_argument('--raw-dtype')
    ap.add_argument('--spacing', type=lambda s: triple(s, float))
    args = ap.parse_args()

    data, spacing, img = load(args)
    md = args.min_distance_voxels or [max(1, int(round(args.min_distance / s))) for s in spacing]
    labels, times, info = run_pipeline(data, spacing, args.smooth, md, args.threshold, args.min_size,
                                       args.exclude_border)
    thr, sig, coords, props = info['threshold'], info['sigma'], info['coords'], info['props']

    total = sum(times.values())
    result = {
        'runner': 'scipy/skimage', 'device': 'cpu',
        'versions': {'python': sys.version.split()[0], 'numpy': np.__version__, 'scipy': scipy.__version__,
                     'skimage': skimage.__version__},
        'shape': list(labels.shape), 'spacing': list(spacing), 'threshold': thr,
        'smoothSigmaVoxels': sig, 'minDistanceVoxels': [int(m) for m in md],
        'seeds': int(len(coords)), 'instances': len(props), 'timingsMs': times, 'totalMs': total,
    }
    if args.out:
        import nibabel as nib
        out = labels.astype(np.uint16 if labels.max() <= 65535 else np.uint32)
        affine = img.affine if img is not None else np.diag(list(spacing) + [1.0])
        hdr = img.header.copy() if img is not None else None
        nimg = nib.Nifti1Image(out, affine, hdr)
        nimg.set_data_dtype(out.dtype)
        nimg.header.set_slope_inter(1, 0)
        nib.save(nimg, args.out)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(result, f, indent=1)
    print(json.dumps({k: result[k] for k in ('instances', 'threshold', 'minDistanceVoxels', 'totalMs')}))


if __name__ == '__main__':
    main()
