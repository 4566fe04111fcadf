"""A small 3-D U-Net with two heads (foreground logit, boundary-or-distance logit).

Encoder: `depth` levels of [Conv3d 3³ → norm → ReLU] × 2 with MaxPool 2³ between; decoder: ConvTranspose
2³ stride 2, concat skip, [Conv3d → norm → ReLU] × 2; two 1×1×1 heads. Only ops the Tessera engine runs
(Conv (+BN folded, ReLU fused), InstanceNormalization, MaxPool, ConvTranspose, Concat, Sigmoid, Sub,
Mul). Input sizes must be multiples of 2**depth per axis. norm: 'batch' (BatchNorm, folded at export;
the recipe) or 'instance' (InstanceNorm: statistics per window, so it needs the sliding window).
base=8, depth=3: 0.36 M parameters (1.4 MB fp32).
"""
import torch
from torch import nn


NORMS = ('batch', 'instance')


def norm_layer(kind, ch):
    """'batch': BatchNorm3d (folded into the conv at export); 'instance': InstanceNorm3d with affine
    weights (per-sample statistics: ONNX InstanceNormalization, which our engine runs unfolded)."""
    if kind == 'batch':
        return nn.BatchNorm3d(ch)
    if kind == 'instance':
        return nn.InstanceNorm3d(ch, affine=True)
    raise ValueError(f'norm must be one of {NORMS}, got {kind!r}')


def block(cin, cout, norm='batch'):
    return nn.Sequential(
        nn.Conv3d(cin, cout, 3, padding=1, bias=False), norm_layer(norm, cout), nn.ReLU(inplace=True),
        nn.Conv3d(cout, cout, 3, padding=1, bias=False), norm_layer(norm, cout), nn.ReLU(inplace=True),
    )


class UNet3D(nn.Module):
    def __init__(self, base=8, depth=3, norm='batch'):
        super().__init__()
        ch = [base * 2 ** i for i in range(depth + 1)]
        self.depth = depth
        self.enc = nn.ModuleList([block(1, ch[0], norm)] + [block(ch[i - 1], ch[i], norm) for i in range(1, depth + 1)])
        self.pool = nn.MaxPool3d(2)
        self.up = nn.ModuleList([nn.ConvTranspose3d(ch[i + 1], ch[i], 2, stride=2) for i in range(depth)])
        self.dec = nn.ModuleList([block(2 * ch[i], ch[i], norm) for i in range(depth)])
        self.head_fg = nn.Conv3d(ch[0], 1, 1)
        self.head_b = nn.Conv3d(ch[0], 1, 1)

    def forward(self, x):
        skips = []
        for i in range(self.depth):
            x = self.enc[i](x)
            skips.append(x)
            x = self.pool(x)
        x = self.enc[self.depth](x)
        for i in reversed(range(self.depth)):
            x = self.dec[i](torch.cat([self.up[i](x), skips[i]], dim=1))
        return self.head_fg(x), self.head_b(x)


class ClassProbabilities(nn.Module):
    """The exported graph: [P(background), P(fg)·(1 − q), P(fg)·q] with q = sigmoid(second head).

    Class 1 = instance interior (boundary mode) or rim (distance mode); class 2 = boundary / core.
    The argmax is a 3-class map; p_fg = 1 − ch0 and q = ch2 / (ch1 + ch2) are recoverable.
    """

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        f, b = self.net(x)
        p = torch.sigmoid(f)
        q = torch.sigmoid(b)
        return torch.cat([1 - p, p * (1 - q), p * q], dim=1)


class Ensemble(nn.Module):
    """Members averaged in probability space: p = mean(p_i), p·q = mean(p_i·q_i), so the class
    probabilities [1 − p, p(1 − q), pq] (ClassProbabilities' output) are the mean of the members'.
    forward returns logits (like UNet3D) so the training-side code (predict_windows, evaluate) runs
    it unchanged."""

    def __init__(self, nets):
        super().__init__()
        self.nets = nn.ModuleList(nets)

    def forward(self, x):
        ps, pqs = [], []
        for net in self.nets:
            f, b = net(x)
            p = torch.sigmoid(f)
            ps.append(p)
            pqs.append(p * torch.sigmoid(b))
        p = torch.stack(ps).mean(0).clamp(1e-7, 1 - 1e-7)
        q = (torch.stack(pqs).mean(0) / p).clamp(1e-7, 1 - 1e-7)
        return torch.logit(p), torch.logit(q)


def count_parameters(m):
    return sum(p.numel() for p in m.parameters())
