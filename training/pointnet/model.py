"""PointNet++ (SSG, SA×3 + FP×3) with a class head and an offset-to-instance-centre head, in plain
torch (no CUDA extensions). Sampling indices (FPS) come precomputed with the data (our TS twin, the
same as inference); ball query and 3-NN are plain torch with the semantics of lib/pointnet:

- ball query: per centre, the first `k` points in index order with d² < r² (strict); unfilled slots
  repeat the first hit;
- 3-NN: the three smallest d² (ties to the lower index), weights 1 / (d² + 1e-8) normalised;
- grouping: [p − centre, features] (no division by the radius);
- shared MLP: Linear + BatchNorm + ReLU per layer (BN folded at export), max-pool over k.

Channel order everywhere equals the TS twins' (group: xyz first; FP: interpolated then skip).
"""
import torch
import torch.nn as nn

CONFIG = {
    'input_points': 2048,
    'npoint': [512, 128, 32],
    'radius': [0.025, 0.05, 0.1],
    'nsample': [16, 16, 32],
    'in_features': 1,  # height above the support plane
    'sa_mlps': [[16, 16, 32], [32, 32, 64], [64, 64, 128]],
    'fp_mlps': [[128, 64], [64, 64], [64, 32]],  # fp3, fp2, fp1
    'head_hidden': 32,
    'num_classes': 7,
}


def mlp_layers(cin, widths):
    layers = []
    for w in widths:
        layers += [nn.Linear(cin, w, bias=False), nn.BatchNorm1d(w), nn.ReLU(inplace=True)]
        cin = w
    return nn.Sequential(*layers)


def pairwise_d2(a, b):
    """a [B,n,3], b [B,m,3] → [B,n,m] squared distances (training: fast form)."""
    d = (a * a).sum(-1, keepdim=True) - 2 * a @ b.transpose(1, 2) + (b * b).sum(-1).unsqueeze(1)
    return d.clamp_min(0)


def exact_d2(a, b):
    """Same as pairwise_d2 but with the twins' f32 formula: ((dx² + dy²) + dz²) per pair."""
    diff = a.unsqueeze(2) - b.unsqueeze(1)  # [B,n,m,3]
    sq = diff * diff
    return (sq[..., 0] + sq[..., 1]) + sq[..., 2]


def ball_query(points, centres, radius, k, exact=False):
    """points [B,n,3], centres [B,m,3] → idx [B,m,k] (first k in index order with d² < r²)."""
    B, n, _ = points.shape
    d2 = (exact_d2 if exact else pairwise_d2)(centres, points)  # [B,m,n]
    r2 = torch.tensor(radius, dtype=torch.float32) ** 2
    ar = torch.arange(n, device=points.device).view(1, 1, n).expand_as(d2)
    idx = torch.where(d2 < r2, ar, torch.full_like(ar, n))
    kk = min(k, n)
    idx = torch.topk(idx, kk, dim=-1, largest=False, sorted=True)[0]
    first = idx[..., :1]
    first = torch.where(first == n, torch.zeros_like(first), first)
    idx = torch.where(idx == n, first.expand_as(idx), idx)
    return idx


def gather(x, idx):
    """x [B,n,C], idx [B,...] → [B,...,C]."""
    B = x.shape[0]
    flat = idx.reshape(B, -1)
    out = torch.gather(x, 1, flat.unsqueeze(-1).expand(-1, -1, x.shape[-1]))
    return out.reshape(*idx.shape, x.shape[-1])


def three_interpolate(dense, coarse, feats, exact=False):
    d2 = (exact_d2 if exact else pairwise_d2)(dense, coarse)  # [B,n,m]
    dist, idx = torch.topk(d2, 3, dim=-1, largest=False, sorted=True)
    w = 1.0 / (dist + 1e-8)
    w = w / w.sum(-1, keepdim=True)
    g = gather(feats, idx)  # [B,n,3,C]
    return (g * w.unsqueeze(-1)).sum(2)


def ball_query_cands(points, centres, cands, radius, k):
    """Training form: cands [B,m,K] = indices of candidate neighbours in index order (n = pad)."""
    B, n, _ = points.shape
    safe = cands.clamp_max(n - 1)
    d2 = ((gather(points, safe) - centres.unsqueeze(2)) ** 2).sum(-1)
    inside = (d2 < radius * radius) & (cands < n)
    idx = torch.where(inside, cands, torch.full_like(cands, n))
    idx = torch.topk(idx, k, dim=-1, largest=False, sorted=True)[0]
    first = idx[..., :1]
    return torch.where(idx == n, first.expand_as(idx), idx)


def interp(dense, coarse, feats, exact, nn3=None):
    if nn3 is None:
        return three_interpolate(dense, coarse, feats, exact)
    d2 = ((gather(coarse, nn3) - dense.unsqueeze(2)) ** 2).sum(-1)
    w = 1.0 / (d2 + 1e-8)
    w = w / w.sum(-1, keepdim=True)
    return (gather(feats, nn3) * w.unsqueeze(-1)).sum(2)


class SharedMLP(nn.Module):
    def __init__(self, cin, widths):
        super().__init__()
        self.body = mlp_layers(cin, widths)
        self.cout = widths[-1]

    def forward(self, x):
        shape = x.shape
        y = self.body(x.reshape(-1, shape[-1]))
        return y.reshape(*shape[:-1], self.cout)


class PointNet2Instance(nn.Module):
    def __init__(self, cfg=CONFIG):
        super().__init__()
        self.cfg = cfg
        c0 = cfg['in_features']
        s = cfg['sa_mlps']
        self.sa1 = SharedMLP(3 + c0, s[0])
        self.sa2 = SharedMLP(3 + s[0][-1], s[1])
        self.sa3 = SharedMLP(3 + s[1][-1], s[2])
        f = cfg['fp_mlps']
        self.fp3 = SharedMLP(s[2][-1] + s[1][-1], f[0])
        self.fp2 = SharedMLP(f[0][-1] + s[0][-1], f[1])
        self.fp1 = SharedMLP(f[1][-1] + c0, f[2])
        h = cfg['head_hidden']
        self.cls_hidden = SharedMLP(f[2][-1], [h])
        self.cls_out = nn.Linear(h, cfg['num_classes'])
        self.off_hidden = SharedMLP(f[2][-1], [h])
        self.off_out = nn.Linear(h, 3)

    def sa(self, mlp, xyz, feats, cidx, radius, k, exact, cands=None):
        centres = gather(xyz, cidx)
        idx = ball_query(xyz, centres, radius, k, exact) if cands is None else ball_query_cands(xyz, centres, cands, radius, k)
        g_xyz = gather(xyz, idx) - centres.unsqueeze(2)
        g = torch.cat([g_xyz, gather(feats, idx)], -1)
        return centres, mlp(g).max(2)[0]

    def forward(self, xyz, fps_idx, exact=False, trace=None, pre=None):
        """xyz [B,n,3] aligned frame; fps_idx: (f1 [B,m1] into xyz, f2 into level 1, f3 into level 2).
        pre (training only): ball-query candidates per level and 3-NN indices per FP (see train.py)."""
        cfg = self.cfg
        f0 = xyz[..., 2:3]
        c = pre['cands'] if pre else (None, None, None)
        nn = pre['nn'] if pre else (None, None, None)
        l1, h1 = self.sa(self.sa1, xyz, f0, fps_idx[0], cfg['radius'][0], cfg['nsample'][0], exact, c[0])
        l2, h2 = self.sa(self.sa2, l1, h1, fps_idx[1], cfg['radius'][1], cfg['nsample'][1], exact, c[1])
        l3, h3 = self.sa(self.sa3, l2, h2, fps_idx[2], cfg['radius'][2], cfg['nsample'][2], exact, c[2])
        u2 = self.fp3(torch.cat([interp(l2, l3, h3, exact, nn[2]), h2], -1))
        u1 = self.fp2(torch.cat([interp(l1, l2, u2, exact, nn[1]), h1], -1))
        u0 = self.fp1(torch.cat([interp(xyz, l1, u1, exact, nn[0]), f0], -1))
        logits = self.cls_out(self.cls_hidden(u0))
        offsets = self.off_out(self.off_hidden(u0))
        if trace is not None:
            trace.update(sa1=h1, sa2=h2, sa3=h3, fp3=u2, fp2=u1, fp1=u0)
        return logits, offsets


def fps_exact(xyz, count, start=0):
    """Farthest point sampling with the twins' semantics (f32 distances, ties to the lowest index)."""
    n = xyz.shape[0]
    temp = torch.full((n,), 3.4028234663852886e38, dtype=torch.float32)
    out = torch.empty(count, dtype=torch.long)
    last = start
    for i in range(count):
        out[i] = last
        d = xyz - xyz[last]
        sq = d * d
        dd = (sq[:, 0] + sq[:, 1]) + sq[:, 2]
        temp = torch.minimum(temp, dd)
        if i + 1 < count:
            m = temp.max()
            last = int(torch.nonzero(temp == m)[0, 0])
    return out
