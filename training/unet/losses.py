"""Losses: BCE + soft Dice on the foreground head; the second head either boundary (BCE + Dice)
or normalised distance (binary cross-entropy against the soft target in [0, 1], over foreground
voxels: its optimum is the conditional mean, so the centres of confidently found nuclei come out
near 1. An L1 loss — the first recipe — converged to the conditional median, which stays under
0.5 almost everywhere (most of a ball's volume is near its surface) and gave no seeds)."""
import torch
import torch.nn.functional as F


def soft_dice(prob, target, eps=1.0):
    inter = (prob * target).sum()
    return 1 - (2 * inter + eps) / (prob.sum() + target.sum() + eps)


def unet_loss(f_logit, b_logit, fg, second, mode):
    """-> (total, dict of parts). fg, second: float tensors shaped like the logits."""
    pf = torch.sigmoid(f_logit)
    l_fg = F.binary_cross_entropy_with_logits(f_logit, fg) + soft_dice(pf, fg)
    if mode == 'boundary':
        pb = torch.sigmoid(b_logit)
        l_2 = F.binary_cross_entropy_with_logits(b_logit, second) + soft_dice(pb, second)
    else:
        w = fg
        bce = F.binary_cross_entropy_with_logits(b_logit, second, reduction='none')
        l_2 = (bce * w).sum() / w.sum().clamp(min=1.0)
    return l_fg + l_2, {'fg': float(l_fg), 'second': float(l_2)}
