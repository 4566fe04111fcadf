"""Per-voxel U-Net targets of an instance label volume, in (z, y, x) order.

Same definitions as lib/synth/training-targets.ts (which writes them for generated volumes):
- foreground: label > 0;
- boundary: a labelled voxel with a 6-neighbour (inside the array) of another label, background included;
- distance: Euclidean distance (physical, `spacing` in z, y, x) of an interior voxel (labelled, not
  boundary) to the nearest non-interior voxel, divided by its instance's maximum; 0 elsewhere.
"""
import numpy as np
from scipy import ndimage


def boundary_map(labels: np.ndarray) -> np.ndarray:
    lab = labels
    b = np.zeros(lab.shape, dtype=bool)
    for ax in range(3):
        n = lab.shape[ax]
        if n < 2:
            continue
        a = np.take(lab, range(0, n - 1), axis=ax)
        c = np.take(lab, range(1, n), axis=ax)
        diff = a != c
        lo = [slice(None)] * 3
        hi = [slice(None)] * 3
        lo[ax] = slice(0, n - 1)
        hi[ax] = slice(1, n)
        b[tuple(lo)] |= diff
        b[tuple(hi)] |= diff
    return b & (lab > 0)


def training_targets(labels: np.ndarray, spacing_zyx=(1.0, 1.0, 1.0)):
    """-> (foreground uint8, boundary uint8, distance float32)."""
    labels = np.asarray(labels)
    fg = labels > 0
    bnd = boundary_map(labels)
    interior = fg & ~bnd
    dist = np.zeros(labels.shape, dtype=np.float32)
    if interior.any():
        d = ndimage.distance_transform_edt(interior, sampling=spacing_zyx).astype(np.float32)
        ids = labels[interior]
        mx = np.zeros(int(labels.max()) + 1, dtype=np.float32)
        np.maximum.at(mx, ids, d[interior])
        dist[interior] = d[interior] / np.maximum(mx[ids], 1e-12)
    return fg.astype(np.uint8), bnd.astype(np.uint8), dist
