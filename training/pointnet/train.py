"""Trains the PointNet++ instance model on scenes written by make_data.ts (CPU, 2 threads, fixed seed).

  /usr/bin/python3 training/pointnet/train.py --data <dir with train/ and val/> --out <ckpt.pt>
      [--iters N | --minutes M] [--batch 8] [--seed 0] [--log training/pointnet/log.txt]

Loss: cross-entropy over all points + w_off · L1 of the offset to the instance centre (mean of the
instance's input points) on object points [+ w_dir · (−cos) direction term]. Augmentation: yaw, scale 0.8–1.8, tilt ≤ 2°, height
shift ≤ 5 mm, jitter 2 mm (all similarity transforms keep the precomputed FPS indices valid).
"""
import argparse
import glob
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from scipy.spatial import cKDTree

from model import CONFIG, PointNet2Instance
from evaluate import evaluate_batch


def load_scene(path):
    b = np.fromfile(path, dtype=np.uint8)
    head = b[:16].view(np.int32)
    n, m1, m2, m3 = (int(v) for v in head)
    off = 16
    def take(count, dt):
        nonlocal off
        a = b[off:off + 4 * count].view(dt)
        off += 4 * count
        return a
    xyz = take(3 * n, np.float32).reshape(n, 3).copy()
    inst = take(n, np.int32).copy()
    cls = take(n, np.int32).copy()
    f1 = take(m1, np.int32).astype(np.int64)
    f2 = take(m2, np.int32).astype(np.int64)
    f3 = take(m3, np.int32).astype(np.int64)
    sc = dict(xyz=xyz, inst=inst, cls=cls, f=(f1, f2, f3), name=os.path.basename(path))
    precompute(sc)
    return sc


CAND_K = 64


def precompute(sc):
    """Scale-invariant search structures (augmentation is a similarity with scale ≥ 0.8): ball-query
    candidates within 1.25·r in index order, and the 3 nearest coarse points of every FP level."""
    levels = [sc['xyz']]
    for f in sc['f']:
        levels.append(levels[-1][f])
    cands = []
    for l in range(3):
        pts, cen = levels[l], levels[l + 1]
        lists = cKDTree(pts).query_ball_point(cen, CONFIG['radius'][l] * 1.25, return_sorted=True)
        a = np.full((len(cen), CAND_K), len(pts), dtype=np.int64)
        for j, li in enumerate(lists):
            li = li[:CAND_K]
            a[j, :len(li)] = li
        cands.append(a)
    nn = []
    for l in range(3):
        _, idx = cKDTree(levels[l + 1]).query(levels[l], 3)
        nn.append(idx.astype(np.int64))
    sc['cands'] = cands
    sc['nn'] = nn


def load_dir(d):
    files = sorted(glob.glob(os.path.join(d, '*.bin')), key=lambda p: int(os.path.basename(p)[:-4]))
    return [load_scene(p) for p in files]


def centres_of(xyz, inst):
    """Per point: mean of its instance's points (0 for background)."""
    out = np.zeros_like(xyz)
    k = inst.max() + 1
    s = np.zeros((k, 3))
    c = np.zeros(k)
    np.add.at(s, inst, xyz)
    np.add.at(c, inst, 1)
    mean = s / np.maximum(c, 1)[:, None]
    out[inst > 0] = mean[inst[inst > 0]]
    return out


def augment(xyz, rng):
    yaw = rng.uniform(0, 2 * math.pi)
    s = math.exp(rng.uniform(math.log(0.8), math.log(1.8)))
    tx, ty = rng.normal(0, math.radians(1.0), 2)
    cz, sz = math.cos(yaw), math.sin(yaw)
    Rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    Rx = np.array([[1, 0, 0], [0, math.cos(tx), -math.sin(tx)], [0, math.sin(tx), math.cos(tx)]])
    Ry = np.array([[math.cos(ty), 0, math.sin(ty)], [0, 1, 0], [-math.sin(ty), 0, math.cos(ty)]])
    R = Rx @ Ry @ Rz * s
    q = xyz @ R.T
    q[:, 2] += rng.uniform(-0.005, 0.005)
    q[:, :2] += rng.uniform(-0.3, 0.3, 2)
    q += rng.normal(0, 0.002, q.shape)
    return q.astype(np.float32)


def batch_of(scenes, rng, aug):
    xyz, inst, cls, f1, f2, f3 = [], [], [], [], [], []
    for sc in scenes:
        q = augment(sc['xyz'], rng) if aug else sc['xyz']
        xyz.append(q)
        inst.append(sc['inst'])
        cls.append(sc['cls'])
        f1.append(sc['f'][0]); f2.append(sc['f'][1]); f3.append(sc['f'][2])
    cen = np.stack([centres_of(x, i) for x, i in zip(xyz, inst)])
    t = lambda a, dt=torch.float32: torch.from_numpy(np.stack(a)).to(dt)
    pre = {'cands': [t([sc['cands'][l] for sc in scenes], torch.long) for l in range(3)],
           'nn': [t([sc['nn'][l] for sc in scenes], torch.long) for l in range(3)]}
    return t(xyz), t(inst, torch.long), t(cls, torch.long), (t(f1, torch.long), t(f2, torch.long), t(f3, torch.long)), torch.from_numpy(cen).float(), pre


LOSS = {'off': 10.0, 'dir': 0.0}


def loss_fn(logits, offsets, xyz, inst, cls, cen):
    ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), cls.reshape(-1))
    obj = inst > 0
    target = cen - xyz
    l1 = (offsets - target).abs().sum(-1)
    nobj = obj.sum().clamp_min(1)
    off = (l1 * obj).sum() / nobj
    loss = ce + LOSS['off'] * off
    if LOSS['dir'] > 0:  # PointGroup's direction term: −cos(offset, target) on object points
        cos = F.cosine_similarity(offsets, target, dim=-1, eps=1e-6)
        loss = loss + LOSS['dir'] * (-(cos * obj).sum() / nobj)
    return loss, ce.item(), off.item()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--iters', type=int, default=0)
    ap.add_argument('--minutes', type=float, default=30)
    ap.add_argument('--batch', type=int, default=8)
    ap.add_argument('--lr', type=float, default=2e-3)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--log', default=os.path.join(os.path.dirname(__file__), 'log.txt'))
    ap.add_argument('--eval-every', type=int, default=100)
    ap.add_argument('--init', help='continue from this checkpoint (weights only; a new schedule)')
    ap.add_argument('--off-weight', type=float, default=10.0)
    ap.add_argument('--dir-weight', type=float, default=0.0)
    a = ap.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(a.seed)
    LOSS['off'], LOSS['dir'] = a.off_weight, a.dir_weight
    rng = np.random.default_rng(a.seed)
    train = load_dir(os.path.join(a.data, 'train'))
    val = load_dir(os.path.join(a.data, 'val'))
    logf = open(a.log, 'a')
    def log(s):
        line = f'[{time.strftime("%H:%M:%S")}] {s}'
        print(line, flush=True)
        logf.write(line + '\n'); logf.flush()
    log(f'data: {len(train)} train scenes, {len(val)} val scenes; config {CONFIG}; seed {a.seed}, batch {a.batch}, lr {a.lr}, loss weights {LOSS}')
    model = PointNet2Instance()
    if a.init:
        model.load_state_dict(torch.load(a.init)['model'])
        log(f'initialised from {a.init}')
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    t0 = time.time()
    total = a.iters
    it = 0
    order = rng.permutation(len(train))
    pos = 0
    while True:
        if total and it >= total:
            break
        if not total and it == 10:
            per = (time.time() - t0) / 10
            total = max(20, int(a.minutes * 60 / (per * 1.08)))
            log(f'{per:.2f} s/iter → {total} iterations for {a.minutes} min')
        lr = a.lr * (0.5 * (1 + math.cos(math.pi * it / total)) if total else 1)
        lr = max(lr, a.lr * 0.02)
        for g in opt.param_groups:
            g['lr'] = lr
        if pos + a.batch > len(order):
            have = {sc['name'] for sc in train}
            for p in sorted(glob.glob(os.path.join(a.data, 'train', '*.bin'))):
                if os.path.basename(p) not in have and time.time() - os.path.getmtime(p) > 5:
                    train.append(load_scene(p))
            log(f'epoch boundary at it {it}: {len(train)} train scenes')
            order = rng.permutation(len(train)); pos = 0
        sc = [train[i] for i in order[pos:pos + a.batch]]
        pos += a.batch
        model.train()
        xyz, inst, cls, fidx, cen, pre = batch_of(sc, rng, True)
        logits, offsets = model(xyz, fidx, pre=pre)
        loss, ce, off = loss_fn(logits, offsets, xyz, inst, cls, cen)
        opt.zero_grad()
        loss.backward()
        opt.step()
        it += 1
        if it % 10 == 0:
            log(f'it {it} loss {loss.item():.4f} ce {ce:.4f} off {off:.4f} lr {lr:.5f} elapsed {time.time() - t0:.0f}s')
        if it % a.eval_every == 0 or (total and it == total):
            model.eval()
            m = evaluate_batch(model, val, batch_of)
            log(f'val it {it}: ' + ' '.join(f'{k} {v:.4f}' for k, v in m.items()))
            torch.save({'model': model.state_dict(), 'config': CONFIG, 'iters': it, 'seed': a.seed, 'val': m}, a.out)
    log(f'done: {it} iterations in {time.time() - t0:.0f}s')


if __name__ == '__main__':
    main()
