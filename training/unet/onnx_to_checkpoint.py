"""Rebuild a torch checkpoint from an exported BatchNorm U-Net (`<kind>.onnx` + `card.json`).

The exporter folds each BatchNorm into its convolution, so the ONNX holds per conv a weight and a
bias. This puts them back into `model.UNet3D(norm='batch')`: conv weight ← folded weight, and the
BatchNorm after it becomes the identity plus the folded bias (weight 1, running mean 0, running
variance 1 − eps, bias = folded bias); ConvTranspose and the heads take their weight and bias as they
are. The network then computes what the ONNX computes, so a committed model can be re-tuned
(`tune_postprocess.py --checkpoint`) without its training checkpoint.

    python3 training/unet/onnx_to_checkpoint.py models/nuclei/nuclei.onnx models/nuclei/card.json out.pt

tests/integration/unet-export.test.ts checks the rebuilt network against onnxruntime-node on the
committed ONNX.
"""
import json
import os
import sys

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export import DEFAULT_MODE  # noqa: E402
from model import UNet3D  # noqa: E402


def conv_params(path):
    """[(op, weight, bias)] of the Conv / ConvTranspose nodes in graph order."""
    g = onnx.load(path).graph
    init = {t.name: np.array(numpy_helper.to_array(t)) for t in g.initializer}
    out = []
    for n in g.node:
        if n.op_type in ('Conv', 'ConvTranspose'):
            w = init[n.input[1]]
            b = init[n.input[2]] if len(n.input) > 2 and n.input[2] else np.zeros(w.shape[1 if n.op_type == 'ConvTranspose' else 0], np.float32)
            out.append((n.op_type, w, b))
    return out


def modules_in_graph_order(net):
    """(conv, bn-or-None) in the order the exported graph runs them (model.UNet3D.forward)."""
    def block(seq):
        return [(seq[0], seq[1]), (seq[3], seq[4])]
    order = []
    for i in range(net.depth):
        order += block(net.enc[i])
    order += block(net.enc[net.depth])
    for i in reversed(range(net.depth)):
        order.append((net.up[i], None))
        order += block(net.dec[i])
    order += [(net.head_fg, None), (net.head_b, None)]
    return order


def rebuild(onnx_path, card_path):
    card = json.load(open(card_path))
    kind = card['name']
    if kind not in DEFAULT_MODE:
        raise SystemExit(f"{card_path}: name {kind!r} is not one of {sorted(DEFAULT_MODE)}")
    params = conv_params(onnx_path)
    depth = sum(1 for op, _, _ in params if op == 'ConvTranspose')
    base = int(params[0][1].shape[0])
    net = UNet3D(base, depth, 'batch')
    mods = modules_in_graph_order(net)
    if len(mods) != len(params):
        raise SystemExit(f'{onnx_path}: {len(params)} convolutions, UNet3D(base={base}, depth={depth}) has {len(mods)}')
    with torch.no_grad():
        for (conv, bn), (op, w, b) in zip(mods, params):
            want = 'ConvTranspose' if isinstance(conv, nn.ConvTranspose3d) else 'Conv'
            if op != want or tuple(conv.weight.shape) != w.shape:
                raise SystemExit(f'{onnx_path}: {op} {w.shape} where the U-Net has {want} {tuple(conv.weight.shape)}')
            conv.weight.copy_(torch.from_numpy(w))
            if bn is None:
                conv.bias.copy_(torch.from_numpy(b))
            else:
                bn.weight.fill_(1)
                bn.bias.copy_(torch.from_numpy(b))
                bn.running_mean.zero_()
                bn.running_var.fill_(1 - bn.eps)
    window = card['input']['window']
    config = {'kind': kind, 'mode': DEFAULT_MODE[kind], 'base': base, 'depth': depth, 'crop_xyz': list(window), 'norm': 'batch',
              'rebuilt_from': os.path.basename(onnx_path), 'sha256': card.get('sha256')}
    return net, config


def main(argv=None):
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 3:
        raise SystemExit('usage: onnx_to_checkpoint.py <model.onnx> <card.json> <out.pt>')
    net, config = rebuild(args[0], args[1])
    torch.save({'config': config, 'state_dict': net.state_dict(), 'iter': None, 'val': None}, args[2])
    print(f'{args[2]}: UNet3D(base={config["base"]}, depth={config["depth"]}) from {args[0]}')


if __name__ == '__main__':
    main()
