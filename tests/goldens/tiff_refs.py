#!/usr/bin/python3
"""Fixtures and independent references for the TIFF stack reader (lib/formats/tiff).

Run from the repository root:  /usr/bin/python3 tests/goldens/tiff_refs.py

Writes small TIFFs into tests/fixtures/tiff/ with tifffile 2023.2.3 (Debian python3-tifffile) and,
for PackBits and LZW (tifffile needs imagecodecs for those), with Pillow + libtiff; every fixture is
read back with tifffile (except LZW, which tifffile decodes only with imagecodecs) and with Pillow
where Pillow wrote it, and must equal the seeded numpy array it
was written from. Also writes malformed variants (byte patches at offsets tifffile reports).
Writes tests/goldens/tiff_refs.json:
  fixtures: [{file, shape [nx,ny,nz], dtype, kind, channels, slices, frames, spacing, units,
              little_endian, bigtiff, compression, data (flat, x fastest)}]
  real:     [{file, nifti, shape, dtype, sum, samples [[x,y,z,v]], spacing (tifffile: 1/XResolution,
              1/YResolution, ImageJ spacing), nifti_zooms (nibabel), units}]
  malformed: [{file, error}]  error = expected TesseraError subclass name
"""
import json
import os
import struct

import numpy as np
import tifffile
from PIL import Image

FIX = "tests/fixtures/tiff"
os.makedirs(FIX, exist_ok=True)
rng = np.random.default_rng(20240611)
fixtures = []


def flat(a):
    # a is ZYX (C order): flattening gives x fastest, then y, then z.
    return [v.item() for v in a.reshape(-1)]


def check_tifffile(path, a, key=None):
    with tifffile.TiffFile(path) as t:
        b = t.asarray() if key is None else t.asarray(key=key)
    b = b.reshape(a.shape) if b.size == a.size else b
    assert b.shape == a.shape and b.dtype == a.dtype and np.array_equal(b, a), path


def add(name, a, kind="plain", spacing=(1, 1, 1), units=None, channels=1, frames=1, slices=None, le=True,
        bigtiff=False, compression="none", ref=None):
    ref = a if ref is None else ref
    fixtures.append(dict(file=f"{FIX}/{name}", shape=[ref.shape[2], ref.shape[1], ref.shape[0]], dtype=str(ref.dtype),
                         kind=kind, channels=channels, slices=slices if slices is not None else ref.shape[0],
                         frames=frames, spacing=list(spacing), units=units, little_endian=le, bigtiff=bigtiff,
                         compression=compression, data=flat(ref)))


def rnd(shape, dtype):
    info = np.iinfo(dtype) if np.dtype(dtype).kind in "iu" else None
    if info is None:
        return (rng.standard_normal(shape) * 100).astype(dtype)
    return rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)


def tf(name, a, **kw):
    path = f"{FIX}/{name}"
    tifffile.imwrite(path, a, **kw)
    check_tifffile(path, a)
    return path


# --- plain stacks: byte orders, sample types, deflate, predictor, strips, tiles, BigTIFF -------------
for dtype, bo in [("uint8", "<"), ("uint16", ">"), ("uint16", "<"), ("int16", "<"), ("int16", ">"), ("int8", ">"),
                  ("uint32", "<"), ("int32", ">"), ("float32", "<"), ("float32", ">"), ("float64", ">")]:
    a = rnd((3, 5, 7), dtype)
    name = f"plain_{dtype}_{'le' if bo == '<' else 'be'}.tif"
    tf(name, a, byteorder=bo, photometric="minisblack")
    add(name, a, le=bo == "<")

a = rnd((4, 9, 11), "int16")
tf("deflate_int16_be.tif", a, byteorder=">", compression="zlib", photometric="minisblack")
add("deflate_int16_be.tif", a, le=False, compression="deflate")
a = rnd((3, 9, 11), "float32")
tf("adobe_deflate_float32_le.tif", a, compression="adobe_deflate", photometric="minisblack")
add("adobe_deflate_float32_le.tif", a, compression="deflate")
a = (np.add.outer(np.arange(12), np.arange(10))[None] * np.array([1, 3, 7])[:, None, None]).astype("uint16") * 50
tf("deflate_predictor_uint16_be.tif", a, byteorder=">", compression="zlib", predictor=True, photometric="minisblack")
with tifffile.TiffFile(f"{FIX}/deflate_predictor_uint16_be.tif") as t:
    assert t.pages[0].predictor == 2
add("deflate_predictor_uint16_be.tif", a, le=False, compression="deflate")
a = rnd((2, 10, 6), "uint8")
tf("strips_uint8_le.tif", a, rowsperstrip=3, photometric="minisblack")
with tifffile.TiffFile(f"{FIX}/strips_uint8_le.tif") as t:
    assert len(t.pages[0].dataoffsets) == 4
add("strips_uint8_le.tif", a)
a = rnd((2, 40, 50), "uint16")
tf("tiles_uint16_le.tif", a, tile=(16, 16), photometric="minisblack")
add("tiles_uint16_le.tif", a)
a = rnd((2, 40, 35), "int16")
tf("tiles_deflate_int16_be.tif", a, tile=(16, 32), byteorder=">", compression="zlib", photometric="minisblack")
add("tiles_deflate_int16_be.tif", a, le=False, compression="deflate")
a = rnd((3, 6, 5), "float32")
tf("bigtiff_float32_le.tif", a, bigtiff=True, photometric="minisblack")
add("bigtiff_float32_le.tif", a, bigtiff=True)
a = rnd((2, 17, 9), "uint16")
tf("bigtiff_deflate_uint16_be.tif", a, bigtiff=True, byteorder=">", compression="zlib", photometric="minisblack")
add("bigtiff_deflate_uint16_be.tif", a, bigtiff=True, le=False, compression="deflate")


# --- PackBits and LZW through Pillow + libtiff ------------------------------------------------------
def pil(name, a, comp):
    path = f"{FIX}/{name}"
    ims = [Image.fromarray(s) for s in a]
    ims[0].save(path, save_all=True, append_images=ims[1:], compression=comp)
    if comp == "packbits":  # tifffile decodes LZW only with imagecodecs; Pillow checks those below
        check_tifffile(path, a)
    im = Image.open(path)
    for i in range(a.shape[0]):
        im.seek(i)
        assert np.array_equal(np.array(im), a[i]), path


runs = np.repeat(rng.integers(0, 256, (3, 64, 12), dtype=np.uint8), 4, axis=2)  # runs + literals
runs[:, ::5, :7] = rng.integers(0, 256, (3, 13, 7), dtype=np.uint8)
for name, a, comp, cname in [
    ("packbits_uint8.tif", runs, "packbits", "packbits"),
    ("packbits_uint16.tif", rnd((2, 20, 30), "uint16"), "packbits", "packbits"),
    ("lzw_uint8_noise.tif", rnd((3, 64, 48), "uint8"), "tiff_lzw", "lzw"),  # fills the 4096 table: clear codes
    ("lzw_uint8_runs.tif", runs, "tiff_lzw", "lzw"),
    ("lzw_uint16.tif", rnd((2, 20, 30), "uint16"), "tiff_lzw", "lzw"),
]:
    pil(name, a, comp)
    add(name, a, compression=cname)

# --- ImageJ ------------------------------------------------------------------------------------------
a = rnd((5, 6, 7), "uint16")
tf("imagej_uint16_be.tif", a, imagej=True, byteorder=">", resolution=(1 / 0.2, 1 / 0.3),
   metadata={"spacing": 0.5, "unit": "micron", "axes": "ZYX"})
add("imagej_uint16_be.tif", a, kind="imagej", spacing=(0.2, 0.3, 0.5), units="um", le=False)
hyper = rnd((3, 2, 4, 5), "uint8")  # Z C Y X
tf("imagej_2ch_uint8.tif", hyper, imagej=True, resolution=(4.0, 4.0), metadata={"spacing": 2.0, "unit": "um", "axes": "ZCYX"})
with tifffile.TiffFile(f"{FIX}/imagej_2ch_uint8.tif") as t:
    assert t.imagej_metadata["channels"] == 2 and t.imagej_metadata["slices"] == 3
add("imagej_2ch_uint8.tif", hyper, kind="imagej", spacing=(0.25, 0.25, 2.0), units="um", channels=2, ref=hyper[:, 0])
# ImageJ's large-stack layout: one IFD, planes contiguous after the first strip.
a = rnd((4, 6, 5), "int16")
path = tf("imagej_contiguous_int16_be.tif", a, imagej=True, byteorder=">", resolution=(2.0, 2.0),
          metadata={"spacing": 3.0, "unit": "um", "axes": "ZYX"})
with tifffile.TiffFile(path) as t:
    p0 = t.pages[0]
    next_ptr = p0.offset + 2 + 12 * len(p0.tags)
raw = bytearray(open(path, "rb").read())
raw[next_ptr:next_ptr + 4] = b"\0\0\0\0"
open(path, "wb").write(raw)
with tifffile.TiffFile(path) as t:
    assert len(t.pages) == 1 and t.is_imagej
    assert np.array_equal(t.series[0].asarray(), a), "tifffile must read the contiguous ImageJ stack"
add("imagej_contiguous_int16_be.tif", a, kind="imagej", spacing=(0.5, 0.5, 3.0), units="um", le=False)

# --- OME-TIFF ----------------------------------------------------------------------------------------
a = rnd((3, 5, 4), "uint16")
tf("ome_uint16.tif", a, ome=True, photometric="minisblack",
   metadata={"axes": "ZYX", "PhysicalSizeX": 0.1, "PhysicalSizeY": 0.2, "PhysicalSizeZ": 0.75,
             "PhysicalSizeXUnit": "µm", "PhysicalSizeYUnit": "µm", "PhysicalSizeZUnit": "µm"})
add("ome_uint16.tif", a, kind="ome", spacing=(0.1, 0.2, 0.75), units="um")
oc = rnd((2, 3, 4, 5), "float32")  # C Z Y X  -> DimensionOrder XYZCT
tf("ome_2ch_float32_be.tif", oc, ome=True, byteorder=">", photometric="minisblack",
   metadata={"axes": "CZYX", "PhysicalSizeX": 0.5, "PhysicalSizeY": 0.5, "PhysicalSizeZ": 1500,
             "PhysicalSizeZUnit": "nm"})
with tifffile.TiffFile(f"{FIX}/ome_2ch_float32_be.tif") as t:
    assert 'DimensionOrder="XYZCT"' in t.pages[0].description
add("ome_2ch_float32_be.tif", oc, kind="ome", spacing=(0.5, 0.5, 1.5), units="um", channels=2, le=False, ref=oc[0])

# --- malformed ---------------------------------------------------------------------------------------
malformed = []
base = rnd((2, 4, 6), "uint16")
bpath = f"{FIX}/_base.tif"
tifffile.imwrite(bpath, base, photometric="minisblack")
good = open(bpath, "rb").read()
with tifffile.TiffFile(bpath) as t:
    pages = [(p.offset, len(p.tags), p.tags["StripOffsets"].valueoffset, p.tags["Compression"].valueoffset) for p in t.pages]
os.remove(bpath)


def bad(name, data, error):
    open(f"{FIX}/{name}", "wb").write(bytes(data))
    malformed.append(dict(file=f"{FIX}/{name}", error=error))


bad("bad_truncated_header.tif", good[:6], "TruncatedError")
bad("bad_truncated_data.tif", good[: len(good) - 20], "TruncatedError")
b = bytearray(good); b[0:2] = b"XY"; bad("bad_magic.tif", b, "FormatError")
b = bytearray(good); b[2:4] = struct.pack("<H", 99); bad("bad_version.tif", b, "FormatError")
b = bytearray(good); b[4:8] = struct.pack("<I", len(good) + 1000); bad("bad_ifd_beyond_eof.tif", b, "TruncatedError")
b = bytearray(good); b[4:8] = struct.pack("<I", 4); bad("bad_ifd_in_header.tif", b, "FormatError")
off1, n1, _, _ = pages[1]
b = bytearray(good); b[off1 + 2 + 12 * n1: off1 + 6 + 12 * n1] = struct.pack("<I", pages[0][0]); bad("bad_ifd_loop.tif", b, "FormatError")
b = bytearray(good); b[pages[0][2]: pages[0][2] + 4] = struct.pack("<I", len(good) - 10); bad("bad_strip_beyond_eof.tif", b, "TruncatedError")
b = bytearray(good); b[pages[0][3]: pages[0][3] + 2] = struct.pack("<H", 7); bad("bad_compression_jpeg.tif", b, "UnsupportedFormatError")
z = open(f"{FIX}/deflate_int16_be.tif", "rb").read()
with tifffile.TiffFile(f"{FIX}/deflate_int16_be.tif") as t:
    do = t.pages[0].dataoffsets[0]
b = bytearray(z); b[do + 2: do + 40] = bytes(range(38)); bad("bad_deflate_stream.tif", b, "FormatError")

# --- real shared crops -------------------------------------------------------------------------------
real = []
import nibabel as nib

for tif, nii in [
    ("../shared/data/cells/plantseg/sample_ovule_raw.tif", "../shared/data/cells/plantseg/sample_ovule_raw.nii.gz"),
    ("../shared/data/cells/plantseg/sample_ovule_label.tif", "../shared/data/cells/plantseg/sample_ovule_label.nii.gz"),
    ("../shared/data/cells/plantseg/1136_mini_raw.tif", "../shared/data/cells/plantseg/1136_mini_raw.nii.gz"),
    ("../shared/data/cells/plantseg/1136_mini_label.tif", "../shared/data/cells/plantseg/1136_mini_label.nii.gz"),
    ("../shared/data/cells/stardist_synthetic/img3d.tif", None),
    ("../shared/data/cells/stardist_synthetic/mask3d.tif", None),
]:
    with tifffile.TiffFile(tif) as t:
        a = t.asarray()
        p = t.pages[0]
        xr = p.tags["XResolution"].value
        yr = p.tags["YResolution"].value
        ij = t.imagej_metadata
    spacing = [xr[1] / xr[0], yr[1] / yr[0], float(ij["spacing"])] if ij else [1.0, 1.0, 1.0]
    rec = dict(file=tif, nifti=nii, shape=[a.shape[2], a.shape[1], a.shape[0]], dtype=str(a.dtype),
               kind="imagej" if ij else "plain", sum=int(a.astype(np.int64).sum()), spacing=spacing,
               units="um" if ij else None)
    r = np.random.default_rng(7)
    rec["samples"] = [[int(x), int(y), int(z), int(a[z, y, x])] for z, y, x in
                      zip(r.integers(0, a.shape[0], 8), r.integers(0, a.shape[1], 8), r.integers(0, a.shape[2], 8))]
    if nii:
        img = nib.load(nii)
        v = np.asanyarray(img.dataobj)
        assert np.array_equal(v, a.transpose(2, 1, 0)), f"{nii} voxels differ from {tif}"
        rec["nifti_zooms"] = [float(q) for q in img.header.get_zooms()[:3]]
    real.append(rec)

out = dict(tifffile_version=tifffile.__version__, fixtures=fixtures, malformed=malformed, real=real)
with open("tests/goldens/tiff_refs.json", "w") as f:
    json.dump(out, f, indent=None, separators=(",", ":"))
    f.write("\n")
print(f"{len(fixtures)} fixtures, {len(malformed)} malformed, {len(real)} real")
