"""Validation for training runs (a proxy; the project's own numbers come from `tessera eval`).

The network runs on the whole validation volume at once (padded with zeros to a multiple of
2**depth), BN in eval mode. Instances from the two heads (p = foreground probability, q = second
head):
- distance mode (nuclei; q = P(core), the core being normalised distance to the surface > 0.5):
  seeds = connected components of {p > 0.5 and q > 0.5}; watershed on −q inside {p > 0.5};
- boundary mode (cells, PlantSeg-style): seeds = local maxima (min distance 3 voxels) of the distance
  transform of {q < 0.5}; watershed on q inside {p > 0.5}.
AP@0.5 = TP / (TP + FP + FN), a match is IoU > 0.5 (lib/metrics instanceAP's definition).
"""
import numpy as np
import torch
from scipy import ndimage
from skimage.feature import peak_local_max
from skimage.segmentation import watershed


def predict(net, image, depth):
    m = 2 ** depth
    shape = image.shape
    padded = np.pad(image, [(0, (-n) % m) for n in shape])
    device = next(net.parameters()).device
    with torch.no_grad():
        f, b = net(torch.from_numpy(padded)[None, None].to(device))
    p = torch.sigmoid(f)[0, 0].cpu().numpy()[: shape[0], : shape[1], : shape[2]]
    q = torch.sigmoid(b)[0, 0].cpu().numpy()[: shape[0], : shape[1], : shape[2]]
    return p, q


def window_starts(size, w, overlap):
    """lib/tensor/sliding-window.ts windowStarts."""
    if size <= w:
        return [0]
    step = max(1, int(np.floor(w * (1 - overlap))))
    n = int(np.ceil((size - w) / step)) + 1
    return [int(np.floor(i * (size - w) / (n - 1) + 0.5)) for i in range(n)]


def predict_windows(net, image, window, overlap=0.5, mirror=()):
    """The deployed inference (lib/tensor/sliding-window.ts, the card's window and overlap): windows
    of `window` (z, y, x) overlapping by >= overlap, zero-padded at the end of axes shorter than the
    window; the exported graph's probabilities [1 - p, p(1 - q), pq] are blended with a separable
    Gaussian (sigma = window / 8) and p = 1 - ch0, q = ch2 / (ch1 + ch2) recovered. Returns (p, q).
    `mirror`: array axes (0 = z, 1 = y, 2 = x) of test-time mirroring — each window's probabilities
    are the mean over every subset of those axes of (flip input → network → flip back)."""
    shape = image.shape
    padded = [max(s, w) for s, w in zip(shape, window)]
    x = np.zeros(padded, np.float32)
    x[: shape[0], : shape[1], : shape[2]] = image
    axes = [np.exp(-((np.arange(w) - (w - 1) / 2) ** 2) / (2 * (w / 8) ** 2)) for w in window]
    wt = (axes[0][:, None, None] * axes[1][None, :, None] * axes[2][None, None, :]).astype(np.float32)
    acc = np.zeros((3,) + tuple(padded), np.float32)
    wsum = np.zeros(padded, np.float32)
    device = next(net.parameters()).device
    starts = [window_starts(s, w, overlap) for s, w in zip(padded, window)]
    mirror = tuple(sorted(set(mirror)))
    flip_sets = [tuple(a for k, a in enumerate(mirror) if m >> k & 1) for m in range(2 ** len(mirror))]
    for a in starts[0]:
        for b in starts[1]:
            for c in starts[2]:
                box = (slice(a, a + window[0]), slice(b, b + window[1]), slice(c, c + window[2]))
                probs = 0
                for flip in flip_sets:
                    xin = np.flip(x[box], flip) if flip else x[box]
                    with torch.no_grad():
                        f, g = net(torch.from_numpy(np.ascontiguousarray(xin))[None, None].to(device))
                    p = torch.sigmoid(f)[0, 0].cpu().numpy()
                    q = torch.sigmoid(g)[0, 0].cpu().numpy()
                    pr = np.stack([1 - p, p * (1 - q), p * q])
                    probs = probs + (np.flip(pr, tuple(a + 1 for a in flip)) if flip else pr)
                acc[(slice(None),) + box] += wt * (probs / len(flip_sets))
                wsum[box] += wt
    acc = acc[:, : shape[0], : shape[1], : shape[2]] / wsum[: shape[0], : shape[1], : shape[2]]
    p = 1 - acc[0]
    tot = acc[1] + acc[2]
    q = np.where(tot > 0, acc[2] / np.where(tot > 0, tot, 1), 0)
    return p.astype(np.float32), q.astype(np.float32)


def peak_local_max_aniso(dt, md, fg):
    """peak_local_max with a per-axis (z, y, x) min distance: maxima of a (2·md+1) box filter, then
    greedy suppression by descending value within the box (lib/segmentation/seeds.ts's semantics)."""
    size = [2 * m + 1 for m in md]
    mx = ndimage.maximum_filter(dt, size=size, mode='constant', cval=0)
    cand = np.argwhere((dt == mx) & fg & (dt > dt.min()))
    order = np.argsort(-dt[tuple(cand.T)], kind='stable')
    taken = []
    for c in cand[order]:
        if all(np.any(np.abs(c - t) > np.array(md)) for t in taken):
            taken.append(c)
    return np.array(taken, dtype=np.int64).reshape(-1, 3)


def saddle_seeds(d, region, ratio):
    """lib/model/cell-instances.ts saddleSeeds: one seed per deep basin of d over region (arrays
    (z, y, x), C order = the TS flat index). Region voxels are flooded from the highest d down (ties:
    lower flat index first); a voxel with no flooded 6-neighbour starts a basin; it joins the basin
    of its first flooded neighbour (-z, +z, -y, +y, -x, +x); touching a second basin at level s, the
    later-found (lower) basin merges into the other iff s >= ratio * its peak. Returns the flat
    indices of the remaining basins' peaks, in flooding order."""
    nz, ny, nx = d.shape
    flat = d.ravel().astype(np.float32)
    idx = np.flatnonzero(region.ravel())
    order = idx[np.lexsort((idx, -flat[idx].astype(np.float64)))]
    parent = np.full(flat.size, -1, np.int64)
    rank = np.zeros(flat.size, np.int64)
    vals = flat.astype(np.float64)

    def find(a):
        r = a
        while parent[r] != r:
            r = parent[r]
        while parent[a] != r:
            parent[a], a = r, parent[a]
        return r

    nxy = nx * ny
    for k, v in enumerate(order.tolist()):
        s = vals[v]
        z, rem = divmod(v, nxy)
        y, x = divmod(rem, nx)
        own = -1
        for ok, u in ((z > 0, v - nxy), (z < nz - 1, v + nxy), (y > 0, v - nx), (y < ny - 1, v + nx), (x > 0, v - 1), (x < nx - 1, v + 1)):
            if not ok or parent[u] < 0:
                continue
            a = find(u)
            if own < 0:
                own = a
                parent[v] = a
                continue
            if a == own:
                continue
            hi, lo = (a, own) if rank[a] < rank[own] else (own, a)
            if s >= ratio * vals[lo]:
                parent[lo] = hi
                own = hi
        if own < 0:
            parent[v] = v
            rank[v] = k
    return np.array([v for v in order.tolist() if parent[v] == v], dtype=np.int64)


def _saddle_markers(cores, spacing, seedSmoothing, seedSaddleRatio):
    """Markers for seedMethod 'saddle': saddle_seeds of the cores' (optionally smoothed) EDT."""
    seeds = np.zeros(cores.shape, dtype=np.int32)
    if cores.all():
        seeds.flat[0] = 1
        return seeds
    dt = ndimage.distance_transform_edt(cores, sampling=spacing).astype(np.float32)
    if seedSmoothing > 0:
        finest = min(spacing)
        dt = ndimage.gaussian_filter(dt, [seedSmoothing * finest / s for s in spacing], mode='reflect', truncate=4.0)
    peaks = saddle_seeds(dt, cores, seedSaddleRatio)
    seeds.flat[peaks] = np.arange(1, len(peaks) + 1)
    return seeds


def _edt_seeds(p, region, fg, spacing, min_seed, seedMinDistance, seedMethod, seedSmoothing):
    """Seeds from the distance transform of `region` (physical units): its peaks (per-axis min
    distance = seedMinDistance voxels of the finest axis) or the components of {d > seedMinDistance ·
    finest} (under min_seed voxels dropped); d optionally Gaussian-smoothed first."""
    dt = ndimage.distance_transform_edt(region, sampling=spacing).astype(np.float32)
    finest = min(spacing)
    if seedSmoothing > 0:
        dt = ndimage.gaussian_filter(dt, [seedSmoothing * finest / s for s in spacing], mode='reflect', truncate=4.0)
    if seedMethod == 'components':
        seeds, n = ndimage.label(fg & (dt > seedMinDistance * finest))
        if n:
            sizes = np.bincount(seeds.ravel())
            small = sizes < min_seed
            small[0] = False
            seeds[small[seeds]] = 0
        return seeds
    md = [max(1, int(np.floor(seedMinDistance * finest / s + 0.5))) for s in spacing]
    peaks = peak_local_max_aniso(dt, md, fg) if len(set(md)) > 1 else peak_local_max(dt, min_distance=md[0], labels=fg.astype(np.int32), exclude_border=False)
    seeds = np.zeros(p.shape, dtype=np.int32)
    seeds[tuple(peaks.T)] = np.arange(1, len(peaks) + 1)
    return seeds


def instances(p, q, mode, spacing=(1.0, 1.0, 1.0), min_seed=8, min_size=20, foregroundThreshold=0.5, secondThreshold=0.5, seedMinDistance=3,
              seedMethod=None, seedSmoothing=0.0, seedSaddleRatio=0.6):
    """lib/model/cell-instances.ts's recipe (its Python twin; the parameters have the card's names).

    distance mode: region = {fg and q > t} (the predicted cores); seedMethod 'components' (default)
    = its connected components, 'maxima' = peaks of its distance transform (splits touching cores);
    watershed on −q. boundary mode: region = {fg and q < t}; seedMethod 'maxima' (default) or
    'components' of its distance transform; watershed on q."""
    fg = p > foregroundThreshold
    if mode == 'boundary':
        seeds = _edt_seeds(p, fg & (q < secondThreshold), fg, spacing, min_seed, seedMinDistance, seedMethod or 'maxima', seedSmoothing)
        lab = watershed(q, seeds, mask=fg)
    else:
        region = fg & (q > secondThreshold)
        if (seedMethod or 'components') == 'maxima':
            seeds = _edt_seeds(p, region, fg, spacing, min_seed, seedMinDistance, 'maxima', seedSmoothing)
        else:
            seeds, n = ndimage.label(region)
            if n:
                sizes = np.bincount(seeds.ravel())
                small = sizes < min_seed
                small[0] = False
                seeds[small[seeds]] = 0
            if seedMethod == 'saddle':
                seeds = _saddle_markers(seeds > 0, spacing, seedSmoothing, seedSaddleRatio)
        lab = watershed(-q, seeds, mask=fg)
    if lab.max():
        sizes = np.bincount(lab.ravel())
        lab[(sizes < min_size)[lab]] = 0
    return lab


def ap_at(pred, gt, t=0.5):
    pred = pred.ravel().astype(np.int64)
    gt = gt.ravel().astype(np.int64)
    np_ = int(pred.max()) + 1
    ps = np.bincount(pred, minlength=np_)
    gs = np.bincount(gt)
    both = (pred > 0) & (gt > 0)
    pairs, inter = np.unique(pred[both] * (int(gt.max()) + 1) + gt[both], return_counts=True)
    pi, gi = pairs // (int(gt.max()) + 1), pairs % (int(gt.max()) + 1)
    iou = inter / (ps[pi] + gs[gi] - inter)
    ok = iou > t  # IoU > 0.5 matches are unique on both sides
    tp = int(ok.sum())
    n_pred = int((ps[1:] > 0).sum())
    n_gt = int((gs[1:] > 0).sum())
    fp, fn = n_pred - tp, n_gt - tp
    return tp / max(1, tp + fp + fn)


def mean_ap(pred, gt):
    """mAP@[0.5:0.95]: the mean of ap_at over IoU thresholds 0.50, 0.55, ..., 0.95."""
    return float(np.mean([ap_at(pred, gt, t) for t in np.arange(0.5, 0.951, 0.05)]))


def evaluate(net, sample, mode, depth):
    net.eval()
    p, q = predict(net, sample.image, depth)
    fg = sample.foreground.astype(bool)
    dice = 2 * np.logical_and(p > 0.5, fg).sum() / max(1, (p > 0.5).sum() + fg.sum())
    if mode == 'boundary':
        tb = sample.boundary.astype(bool)
        sdice = 2 * np.logical_and(q > 0.5, tb).sum() / max(1, (q > 0.5).sum() + tb.sum())
        second = {'boundary_dice': float(sdice)}
    else:
        second = {'distance_l1_fg': float(np.abs(q - sample.distance)[fg].mean()) if fg.any() else 0.0}
    lab = instances(p, q, mode, sample.spacing)
    return {'fg_dice': float(dice), **second, 'ap50': ap_at(lab, sample.labels), 'pred_instances': int(len(np.unique(lab)) - 1)}
