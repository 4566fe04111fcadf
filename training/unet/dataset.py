"""Training / validation data for the nuclei and cells U-Nets. Arrays are (z, y, x) float32.

Sources
- generated volumes: a folder written by `npx tessera generate-training-data` (manifest.json;
  image, labels, boundary, distance NIfTIs; targets computed in TypeScript, incl. copy-paste);
- the real labelled crops in ../shared/data/cells/plantseg: 1136_mini (nuclei) and sample_ovule
  (cells). Only the half with x < width/2 is used for training; the half x >= width/2 is the
  validation set and is never trained on (its intensities are not even used for normalisation).

Normalisation (also written into the model card): clip to the 1st / 99.8th percentile (numpy
'linear') of the volume, then min-max to [0, 1] — lib/model/normalise.ts 'percentile'.
"""
import json
import os

import nibabel as nib
import numpy as np

from targets import training_targets

NORM_LOW, NORM_HIGH = 1.0, 99.8
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
PLANTSEG = os.path.join(REPO, '..', 'shared', 'data', 'cells', 'plantseg')
REAL = {'nuclei': '1136_mini', 'cells': 'sample_ovule'}


def normalise(img: np.ndarray) -> np.ndarray:
    lo, hi = np.percentile(img, [NORM_LOW, NORM_HIGH])
    x = np.clip(img.astype(np.float32), lo, hi)
    return ((x - lo) / (hi - lo) if hi > lo else np.zeros_like(x)).astype(np.float32)


def load_nifti_zyx(path):
    im = nib.load(path)
    arr = np.asarray(im.dataobj).T  # NIfTI x fastest -> (z, y, x) C-order
    spacing = tuple(float(s) for s in im.header.get_zooms()[:3][::-1])
    return np.ascontiguousarray(arr), spacing


class Sample:
    """One volume: image (normalised), labels, foreground, boundary, distance; all (z, y, x)."""

    def __init__(self, name, image, labels, boundary, distance, spacing):
        self.name, self.image, self.labels = name, image, labels
        self.foreground = (labels > 0).astype(np.uint8)
        self.boundary, self.distance, self.spacing = boundary, distance, spacing
        self.fg_index = np.flatnonzero(self.foreground)


def load_generated(folder, limit=None):
    with open(os.path.join(folder, 'manifest.json')) as f:
        man = json.load(f)
    out = []
    for e in man['volumes'][:limit]:
        img, sp = load_nifti_zyx(os.path.join(folder, e['image']))
        lab, _ = load_nifti_zyx(os.path.join(folder, e['labels']))
        bnd, _ = load_nifti_zyx(os.path.join(folder, e['boundary']))
        dst, _ = load_nifti_zyx(os.path.join(folder, e['distance']))
        out.append(Sample(e['id'], normalise(img), lab.astype(np.int64), bnd.astype(np.uint8), dst.astype(np.float32), sp))
    return man['kind'], out


def real_halves(kind):
    """(train Sample, validation Sample) of the real crop: split at x = width // 2."""
    base = os.path.join(PLANTSEG, REAL[kind])
    img, sp = load_nifti_zyx(base + '_raw.nii.gz')
    lab, _ = load_nifti_zyx(base + '_label.nii.gz')
    lab = lab.astype(np.int64)
    half = img.shape[2] // 2
    out = []
    for name, sl in (('train', slice(0, half)), ('val', slice(half, None))):
        i = np.ascontiguousarray(img[:, :, sl])
        l = np.ascontiguousarray(lab[:, :, sl])
        _, b, d = training_targets(l, sp)
        out.append(Sample(f'{REAL[kind]}_{name}', normalise(i), l, b, d, sp))
    return out[0], out[1]


def pad_to(a, shape, value=0):
    pads = [(0, max(0, s - n)) for n, s in zip(a.shape, shape)]
    return np.pad(a, pads, constant_values=value) if any(p[1] for p in pads) else a


def random_crop(sample: Sample, crop, rng: np.random.Generator, fg_bias=0.5):
    """-> dict of (crop) arrays: image, foreground, boundary, distance, labels."""
    shape = sample.image.shape
    if sample.fg_index.size and rng.random() < fg_bias:
        c = np.unravel_index(sample.fg_index[rng.integers(sample.fg_index.size)], shape)
        start = [int(np.clip(c[a] - crop[a] // 2 + rng.integers(-crop[a] // 4, crop[a] // 4 + 1), 0, max(0, shape[a] - crop[a]))) for a in range(3)]
    else:
        start = [int(rng.integers(0, max(0, shape[a] - crop[a]) + 1)) for a in range(3)]
    sl = tuple(slice(s, s + c) for s, c in zip(start, crop))
    out = {}
    for k in ('image', 'foreground', 'boundary', 'distance', 'labels'):
        out[k] = pad_to(getattr(sample, k)[sl], crop)
    return out
