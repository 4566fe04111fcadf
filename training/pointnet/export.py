"""Exports a trained checkpoint: folds BatchNorm into the 1×1 layers, writes the learned layers as one
ONNX (opset 17, via torch.onnx.export) whose graph runs each block (sa1/sa2/sa3 shared MLPs,
fp3/fp2/fp1 MLPs, the two heads) as Gemm(+Relu) chains on [rows, cin] inputs — the initializers `<layer>.weight` [cout, cin]
and `<layer>.bias` [cout] are what lib/pointnet/model loads — plus the card (card.json), and the
torch-vs-ours parity fixture (intermediate tensors for a fixed input, exact FPS / ball query / 3-NN).

  /usr/bin/python3 training/pointnet/export.py --ckpt ckpt.pt --out models/pointnet-scenes \
      --fixture tests/fixtures/pointnet_model_parity.json --fixture-scene <val scene .bin> \
      [--metrics metrics.json] [--log training/pointnet/log.txt]
"""
import argparse
import base64
import hashlib
import json
import os

import numpy as np
import torch

from model import CONFIG, PointNet2Instance, fps_exact, gather
from train import load_scene

CLASSES = ['background', 'box', 'cylinder', 'sphere', 'torus', 'mug', 'bottle']


def fold(seq):
    """nn.Sequential of (Linear no-bias, BN, ReLU)* → [(W [cout,cin], b [cout])]."""
    mods = list(seq)
    out = []
    for i in range(0, len(mods), 3):
        lin, bn = mods[i], mods[i + 1]
        s = bn.weight.detach() / torch.sqrt(bn.running_var + bn.eps)
        W = lin.weight.detach() * s[:, None]
        b = bn.bias.detach() - s * bn.running_mean
        out.append((W.numpy().astype(np.float32), b.numpy().astype(np.float32)))
    return out


def folded_layers(model):
    L = {}
    for name in ['sa1', 'sa2', 'sa3', 'fp3', 'fp2', 'fp1']:
        L[name] = fold(getattr(model, name).body)
    L['cls_hidden'] = fold(model.cls_hidden.body)
    L['off_hidden'] = fold(model.off_hidden.body)
    L['cls_out'] = [(model.cls_out.weight.detach().numpy().astype(np.float32), model.cls_out.bias.detach().numpy().astype(np.float32))]
    L['off_out'] = [(model.off_out.weight.detach().numpy().astype(np.float32), model.off_out.bias.detach().numpy().astype(np.float32))]
    return L


class Blocks(torch.nn.Module):
    """The folded layers as Linear (Gemm) chains, one graph input / output per block."""

    def __init__(self, L):
        super().__init__()
        def lin(W, b):
            m = torch.nn.Linear(W.shape[1], W.shape[0])
            m.weight.data = torch.from_numpy(W)
            m.bias.data = torch.from_numpy(b)
            return m
        for name in ['sa1', 'sa2', 'sa3', 'fp3', 'fp2', 'fp1', 'cls_hidden', 'off_hidden']:
            setattr(self, name, torch.nn.ModuleList([lin(W, b) for W, b in L[name]]))
        self.cls_out = lin(*L['cls_out'][0])
        self.off_out = lin(*L['off_out'][0])

    @staticmethod
    def chain(layers, x):
        for l in layers:
            x = torch.relu(l(x))
        return x

    def forward(self, sa1_in, sa2_in, sa3_in, fp3_in, fp2_in, fp1_in, head_in):
        outs = [self.chain(getattr(self, k), x) for k, x in zip(['sa1', 'sa2', 'sa3', 'fp3', 'fp2', 'fp1'], [sa1_in, sa2_in, sa3_in, fp3_in, fp2_in, fp1_in])]
        logits = self.cls_out(self.chain(self.cls_hidden, head_in))
        offsets = self.off_out(self.chain(self.off_hidden, head_in))
        return (*outs, logits, offsets)


def build_onnx(L, path):
    blocks = Blocks(L).eval()
    names = {k: [f'{k}.{i}' for i in range(len(L[k]))] for k in ['sa1', 'sa2', 'sa3', 'fp3', 'fp2', 'fp1', 'cls_hidden', 'off_hidden']}
    names['cls_out'] = ['cls_out']
    names['off_out'] = ['off_out']
    ins = ['sa1_in', 'sa2_in', 'sa3_in', 'fp3_in', 'fp2_in', 'fp1_in', 'head_in']
    cins = [L[k][0][0].shape[1] for k in ['sa1', 'sa2', 'sa3', 'fp3', 'fp2', 'fp1', 'cls_hidden']]
    outs = ['sa1_out', 'sa2_out', 'sa3_out', 'fp3_out', 'fp2_out', 'fp1_out', 'class_logits', 'offsets']
    dummy = tuple(torch.zeros(5, c) for c in cins)
    torch.onnx.export(blocks, dummy, path, input_names=ins, output_names=outs, opset_version=17,
                      dynamic_axes={k: {0: 'rows'} for k in ins + outs}, do_constant_folding=False)
    return names


def b64(a):
    return base64.b64encode(np.ascontiguousarray(a).tobytes()).decode('ascii')


def parity_fixture(model, scene_path, every=4):
    sc = load_scene(scene_path)
    xyz = torch.from_numpy(sc['xyz'])
    n = xyz.shape[0]
    cfg = CONFIG
    f1 = fps_exact(xyz, min(cfg['npoint'][0], n))
    l1 = xyz[f1]
    f2 = fps_exact(l1, min(cfg['npoint'][1], len(f1)))
    l2 = l1[f2]
    f3 = fps_exact(l2, min(cfg['npoint'][2], len(f2)))
    trace = {}
    with torch.no_grad():
        logits, offsets = model(xyz.unsqueeze(0), (f1.unsqueeze(0), f2.unsqueeze(0), f3.unsqueeze(0)), exact=True, trace=trace)
    rows = np.arange(0, n, every)
    return {
        'about': 'torch (training/pointnet/model.py, exact FPS / ball query / 3-NN, eval mode) on a fixed input; written by training/pointnet/export.py',
        'scene': os.path.basename(scene_path),
        'n': n,
        'input': b64(sc['xyz'].astype(np.float32)),
        'fps': [b64(f.numpy().astype(np.int32)) for f in (f1, f2, f3)],
        'sa3': {'shape': list(trace['sa3'].shape[1:]), 'data': b64(trace['sa3'][0].numpy())},
        'fp3': {'shape': list(trace['fp3'].shape[1:]), 'data': b64(trace['fp3'][0].numpy())},
        'rows': {'every': every, 'count': len(rows)},
        'logits': {'shape': [len(rows), logits.shape[-1]], 'data': b64(logits[0].numpy()[rows])},
        'offsets': {'shape': [len(rows), 3], 'data': b64(offsets[0].numpy()[rows])},
    }


def sha256(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        h.update(f.read())
    return h.hexdigest()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--ckpt', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--fixture')
    ap.add_argument('--fixture-scene')
    ap.add_argument('--metrics')
    ap.add_argument('--training', help='JSON with training facts (scenes, iterations, time)')
    ap.add_argument('--cluster-radius', type=float, default=0.02)
    ap.add_argument('--min-points', type=int, default=5)
    ap.add_argument('--core-neighbours', type=int, default=1)
    ap.add_argument('--cluster-method', choices=['components', 'meanshift'], default='components')
    a = ap.parse_args()
    torch.set_num_threads(2)
    ck = torch.load(a.ckpt)
    model = PointNet2Instance(ck['config'])
    model.load_state_dict(ck['model'])
    model.eval()
    L = folded_layers(model)
    os.makedirs(a.out, exist_ok=True)
    onnx_path = os.path.join(a.out, 'pointnet-scenes.onnx')
    names = build_onnx(L, onnx_path)
    cfg = ck['config']
    training = json.load(open(a.training)) if a.training else {}
    metrics = {'validation_input_points': ck.get('val', {})}
    if a.metrics:
        metrics.update(json.load(open(a.metrics)))
    card = {
        'name': 'pointnet-scenes',
        'format': 'tessera-pointnet2-instance/1',
        'weights': 'pointnet-scenes.onnx',
        'architecture': 'PointNet++ SSG: SA×3 (FPS → ball query → group [p − centre, features] → shared MLP → max-pool) + FP×3 (3-NN inverse-distance interpolation, skip features after, shared MLP); heads: class logits and offset to the instance centre. BatchNorm folded into the 1×1 layers.',
        'input': {
            'points': cfg['input_points'],
            'features': ['height'],
            'units': 'metres',
            'normalisation': {
                'kind': 'support-plane',
                'heightBand': [0.01, 0.6],
                'ransac': {'threshold': 0.01, 'iterations': 256, 'maxSamples': 20000, 'seed': 7, 'side': [0.02, 0.5]},
            },
        },
        'npoint': cfg['npoint'],
        'radius': cfg['radius'],
        'nsample': cfg['nsample'],
        'layers': {
            'sa1': names['sa1'], 'sa2': names['sa2'], 'sa3': names['sa3'],
            'fp3': names['fp3'], 'fp2': names['fp2'], 'fp1': names['fp1'],
            'clsHidden': names['cls_hidden'], 'clsOut': names['cls_out'][0],
            'offHidden': names['off_hidden'], 'offOut': names['off_out'][0],
        },
        'classes': CLASSES,
        'backgroundClasses': [0],
        'clustering': {'method': a.cluster_method, 'radius': a.cluster_radius, 'minPoints': a.min_points, 'coreNeighbours': a.core_neighbours},
        'training': {
            'data': 'synthetic tabletop scenes of lib/synth/scenes (our generator; training seeds < 1 000 000, validation seeds ≥ 1 000 000), camera / density / noise / dropout randomised by training/pointnet/make_data.ts, preprocessed by lib/pointnet/model/prepare.ts',
            'augmentation': 'yaw, scale 0.8–1.8, tilt σ 1°, height shift ≤ 5 mm, jitter σ 2 mm',
            'loss': 'cross-entropy + 10 · L1(offset to the instance centre) on object points',
            'iterations': ck.get('iters'),
            'seed': ck.get('seed'),
            'framework': f'torch {torch.__version__} (Debian python3-torch), CPU',
            **training,
        },
        'metrics': metrics,
        'licence': 'Weights trained by the Tessera project on synthetic data it generates itself; same licence as the repository.',
        'files': {'pointnet-scenes.onnx': {'sha256': sha256(onnx_path), 'bytes': os.path.getsize(onnx_path)}},
    }
    with open(os.path.join(a.out, 'card.json'), 'w') as f:
        json.dump(card, f, indent=2)
        f.write('\n')
    if a.fixture:
        fx = parity_fixture(model, a.fixture_scene)
        with open(a.fixture, 'w') as f:
            json.dump(fx, f)
            f.write('\n')
        print('fixture', a.fixture, os.path.getsize(a.fixture), 'bytes')
    print('onnx', onnx_path, os.path.getsize(onnx_path), 'bytes')


if __name__ == '__main__':
    main()
