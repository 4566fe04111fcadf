#!/usr/bin/python3
"""Plain vectorised PyTorch peer for bench/pointnet.ts (Debian python3-torch, 2 threads).

usage: pointnet_torch.py DIR REPS [THREADS=2]
DIR holds pts16k.f32 / pts100k.f32 (xyz float32), w{1,2,3}.f32 / b{1,2,3}.f32 (MLP 3→64→64→128,
weight [cout, cin]). Times FPS 16k→1024 and 100k→4096, ball query (r 0.1, k 32 around the 1024
FPS centres of 16k) and one set-abstraction layer (FPS + ball query + group + shared MLP + max-pool),
best of REPS (wall and process CPU time), writes DIR/torch.json and the index results
(fps16k.u32, fps100k.u32, bq.u32, sa.f32) for the agreement check.
"""
import json
import sys
import time

import numpy as np
import torch

D = sys.argv[1]
REPS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
torch.set_num_threads(int(sys.argv[3]) if len(sys.argv) > 3 else 2)
F32_MAX = float(np.finfo(np.float32).max)


def load(name, shape=(-1, 3)):
    return torch.from_numpy(np.fromfile(f"{D}/{name}", dtype=np.float32).reshape(shape))


def fps(xyz, npoint, start=0):
    n = xyz.shape[0]
    idx = torch.empty(npoint, dtype=torch.long)
    dist = torch.full((n,), F32_MAX, dtype=torch.float32)
    far = start
    for i in range(npoint):
        idx[i] = far
        d = ((xyz - xyz[far]) ** 2).sum(-1)
        torch.minimum(dist, d, out=dist)
        far = int(torch.argmax(dist))  # first maximal index on ties
    return idx


def ball_query(xyz, centres, radius, k, chunk=256):
    n = xyz.shape[0]
    r2 = torch.tensor(radius, dtype=torch.float32) ** 2
    ar = torch.arange(n)
    sentinel = torch.tensor(n)
    out = []
    for s in range(0, centres.shape[0], chunk):
        c = centres[s : s + chunk]
        d = ((xyz[None, :, :] - c[:, None, :]) ** 2).sum(-1)
        gi = torch.where(d < r2, ar, sentinel)
        gi = gi.topk(k, dim=-1, largest=False, sorted=True).values
        first = gi[:, :1].expand_as(gi)
        gi = torch.where(gi == n, first, gi)
        gi[gi == n] = 0
        out.append(gi)
    return torch.cat(out)


def sa_layer(xyz, npoint, radius, k, layers):
    idx = fps(xyz, npoint)
    centres = xyz[idx]
    gi = ball_query(xyz, centres, radius, k)
    h = xyz[gi] - centres[:, None, :]
    for w, b in layers:
        h = torch.relu(torch.matmul(h, w.t()) + b)
    return h.max(dim=1).values, idx


def best(fn):
    wall, cpu, out = float("inf"), float("inf"), None
    for _ in range(REPS):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        wall = min(wall, (time.perf_counter() - t0) * 1000)
        cpu = min(cpu, (time.process_time() - c0) * 1000)
    return wall, cpu, out


with torch.no_grad():
    p16, p100 = load("pts16k.f32"), load("pts100k.f32")
    layers = [(load(f"w{i}.f32", (c, -1)), load(f"b{i}.f32", (-1,))) for i, c in ((1, 64), (2, 64), (3, 128))]
    res = {"torch": torch.__version__, "numpy": np.__version__, "python": sys.version.split()[0], "threads": torch.get_num_threads()}
    w, c, f16 = best(lambda: fps(p16, 1024))
    res["fps16k"] = {"ms": w, "cpu": c}
    f16.to(torch.int32).numpy().astype(np.uint32).tofile(f"{D}/fps16k.u32")
    w, c, f100 = best(lambda: fps(p100, 4096))
    res["fps100k"] = {"ms": w, "cpu": c}
    f100.to(torch.int32).numpy().astype(np.uint32).tofile(f"{D}/fps100k.u32")
    centres = load("centres16k.f32")
    w, c, bq = best(lambda: ball_query(p16, centres, 0.1, 32))
    res["ballQuery"] = {"ms": w, "cpu": c}
    bq.to(torch.int32).numpy().astype(np.uint32).tofile(f"{D}/bq.u32")
    w, c, (sa, _) = best(lambda: sa_layer(p16, 1024, 0.1, 32, layers))
    res["sa"] = {"ms": w, "cpu": c}
    sa.numpy().astype(np.float32).tofile(f"{D}/sa.f32")
    with open(f"{D}/torch.json", "w") as fh:
        json.dump(res, fh)
