#!/usr/bin/python3
"""Independent references for the NIfTI reader, computed with nibabel.

Run from the repository root:  /usr/bin/python3 tests/goldens/nifti_checksums.py > tests/goldens/nifti_checksums.json

For each shared volume: header fields, shape, zooms, axis codes, the affine nibabel uses
(img.affine: sform if sform_code > 0, else qform, else nibabel's base affine), and checksums over the
first 3D volume of the scaled data (get_fdata, float64): sum, sum of squares, min, max and a few
sampled voxels given as [x, y, z, value]. Also `axcodes_cases`: nibabel aff2axcodes of seeded random
oblique affines. And `written`: nibabel's decoding of the small files our writer produced in
tests/fixtures/nifti (make-fixtures.ts), an independent check of the writer.
"""
import glob
import json
import os
import sys

import nibabel as nib
import numpy as np

FILES = [
    "../shared/data/volumes/nibabel_anatomical.nii",
    "../shared/data/volumes/brainchop_t1_crop.nii.gz",
    "../shared/data/volumes/MR_Gd.nii.gz",
    "../shared/data/volumes/CT_AVM.nii.gz",
]


def describe(path):
    img = nib.load(path)
    hdr = img.header
    data = np.asanyarray(img.dataobj)
    raw_dtype = str(hdr.get_data_dtype().newbyteorder("="))
    f = img.get_fdata(dtype=np.float64)
    if f.ndim > 3:
        f = f[..., 0] if f.ndim == 4 else f.reshape(f.shape[:3] + (-1,))[..., 0]
    shape3 = list(f.shape) + [1] * (3 - f.ndim)
    f = f.reshape(shape3)
    rng = np.random.default_rng(12345)
    samples = []
    for _ in range(12):
        x, y, z = (int(rng.integers(0, n)) for n in shape3)
        samples.append([x, y, z, float(f[x, y, z])])
    # also the voxel with the largest value (first in Fortran order = x fastest, like the reader)
    flat = f.ravel(order="F")
    i = int(np.argmax(flat))
    x, y, z = np.unravel_index(i, shape3, order="F")
    samples.append([int(x), int(y), int(z), float(flat[i])])
    # nibabel moves scl_slope/scl_inter from the header into the array proxy on load
    slope, inter = float(img.dataobj.slope), float(img.dataobj.inter)
    return {
        "file": path,
        "version": 2 if isinstance(hdr, nib.Nifti2Header) else 1,
        "little_endian": hdr.endianness == "<",
        "dim": [int(v) for v in hdr["dim"]],
        "datatype": int(hdr["datatype"]),
        "raw_dtype": raw_dtype,
        "scl_slope": slope,
        "scl_inter": inter,
        "qform_code": int(hdr["qform_code"]),
        "sform_code": int(hdr["sform_code"]),
        "xyzt_units": int(hdr["xyzt_units"]),
        "spatial_units": hdr.get_xyzt_units()[0],
        "shape": shape3,
        "zooms": [float(v) for v in hdr.get_zooms()[:3]],
        "axcodes": "".join(nib.aff2axcodes(img.affine)),
        "affine": img.affine.tolist(),
        "qform": hdr.get_qform().tolist(),
        "sum": float(f.sum()),
        "sum_sq": float((f * f).sum()),
        "min": float(f.min()),
        "max": float(f.max()),
        "samples": samples,
    }


def axcodes_cases():
    """aff2axcodes of seeded random oblique affines (rotation x anisotropic zooms, some left-handed)."""
    rng = np.random.default_rng(2024)
    cases = []
    for k in range(40):
        q, r = np.linalg.qr(rng.normal(size=(3, 3)))
        q = q @ np.diag(np.sign(np.diag(r)))  # a uniformly random orthogonal matrix
        if k % 3 == 0:
            q[:, 2] *= -1
        a = np.eye(4)
        a[:3, :3] = q @ np.diag(rng.uniform(0.1, 3.0, size=3))
        a[:3, 3] = rng.uniform(-100, 100, size=3)
        cases.append({"affine": a.tolist(), "axcodes": "".join(nib.aff2axcodes(a))})
    return cases


def written(path):
    """nibabel's decoding of a file written by our writer (tests/fixtures/nifti), unscaled, x fastest."""
    img = nib.load(path)
    hdr = img.header
    raw = np.asanyarray(img.dataobj.get_unscaled())
    flat = raw.ravel(order="F")
    if flat.dtype.fields:  # RGB24: structured (R, G, B) -> interleaved bytes
        flat = flat.view(np.uint8)
    return {
        "file": os.path.basename(path),
        "version": 2 if isinstance(hdr, nib.Nifti2Header) else 1,
        "little_endian": hdr.endianness == "<",
        "datatype": int(hdr["datatype"]),
        "shape": list(raw.shape),
        "zooms": [float(v) for v in hdr.get_zooms()[:3]],
        "spatial_units": hdr.get_xyzt_units()[0],
        "scl_slope": float(img.dataobj.slope),
        "scl_inter": float(img.dataobj.inter),
        "affine": img.affine.tolist(),
        "qform": hdr.get_qform().tolist(),
        "values": [v.item() for v in flat],
    }


def main():
    out = {
        "nibabel": nib.__version__,
        "volumes": [describe(p) for p in FILES],
        "axcodes_cases": axcodes_cases(),
        "written": [written(p) for p in sorted(glob.glob("tests/fixtures/nifti/written_*.nii*"))],
    }
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
