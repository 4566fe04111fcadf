"""Validation metrics on the model's input points: class accuracy, offset error, and instance AP@0.5
(AP = TP / (TP + FP + FN), point IoU > 0.5; predicted groups mostly background are not counted),
with the clustering of lib/pointnet/model/cluster.ts (radius-connected components of p + offset
over predicted object points, groups smaller than `min_size` dropped)."""
import numpy as np
import torch
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree


def cluster(xyz, off, is_obj, radius, min_size):
    lab = np.zeros(len(xyz), dtype=np.int64)
    idx = np.nonzero(is_obj)[0]
    if len(idx) == 0:
        return lab
    s = xyz[idx] + off[idx]
    pairs = cKDTree(s).query_pairs(radius, output_type='ndarray')
    A = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(idx), len(idx)))
    k, c = connected_components(A, directed=False)
    sizes = np.bincount(c, minlength=k)
    keep = sizes >= min_size
    new = np.zeros(k, dtype=np.int64)
    new[keep] = np.arange(1, keep.sum() + 1)
    lab[idx] = new[c]
    return lab


def instance_ap(pred, gt, thr=0.5):
    gt_ids = [g for g in np.unique(gt) if g > 0]
    pr_ids = [p for p in np.unique(pred) if p > 0]
    counted = [p for p in pr_ids if (gt[pred == p] > 0).mean() >= 0.5]
    tp = 0
    used = set()
    for g in gt_ids:
        gm = gt == g
        for p in counted:
            if p in used:
                continue
            pm = pred == p
            iou = (gm & pm).sum() / (gm | pm).sum()
            if iou > thr:
                tp += 1; used.add(p); break
    fp = len(counted) - tp
    fn = len(gt_ids) - tp
    return tp, fp, fn


def predict(model, scenes, batch_of):
    outs = []
    with torch.no_grad():
        for i in range(0, len(scenes), 4):
            sc = scenes[i:i + 4]
            xyz, inst, cls, fidx, cen, _ = batch_of(sc, None, False)
            logits, offsets = model(xyz, fidx, pre=_)
            for b in range(len(sc)):
                outs.append((xyz[b].numpy(), inst[b].numpy(), cls[b].numpy(), cen[b].numpy(), torch.softmax(logits[b], -1).numpy(), offsets[b].numpy()))
    return outs


def evaluate_batch(model, scenes, batch_of, radius=0.02, min_size=5, outs=None):
    outs = outs or predict(model, scenes, batch_of)
    acc, offe, TP, FP, FN, aps = [], [], 0, 0, 0, []
    for xyz, inst, cls, cen, prob, off in outs:
        pc = prob.argmax(-1)
        acc.append((pc == cls).mean())
        obj = inst > 0
        offe.append(np.abs(off[obj] - (cen[obj] - xyz[obj])).sum(-1).mean())
        lab = cluster(xyz, off, pc > 0, radius, min_size)
        tp, fp, fn = instance_ap(lab, inst)
        TP += tp; FP += fp; FN += fn
        aps.append(tp / max(1, tp + fp + fn))
    return {'acc': float(np.mean(acc)), 'off_l1': float(np.mean(offe)), 'ap50': TP / max(1, TP + FP + FN), 'ap50_mean': float(np.mean(aps))}
