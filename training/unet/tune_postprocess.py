"""Choose the instance-step parameters of a trained U-Net on the TRAINING half of its real crop
(x < width/2) — never on the validation half — and report both halves for each candidate.

    /usr/bin/python3 training/unet/tune_postprocess.py --checkpoint runs/cells/model.pt [--json out.json]

Candidates (lib/model/cell-instances.ts implements the chosen recipe; evaluate.py is its Python twin):
- boundary (cells): seedMinDistance (voxels of the finest axis, per axis scaled by spacing) and the
  interior threshold secondThreshold;
- distance (nuclei): secondThreshold (seed = components of q > t) and foregroundThreshold.
Prints one JSON line per candidate and the best by mean AP@0.5 over the training half (and, for
nuclei, also the held-out-free generated training volumes are not used: the real crop decides).
"""
import argparse
import itertools
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dataset import real_halves  # noqa: E402
from evaluate import ap_at, instances, predict  # noqa: E402
from model import UNet3D  # noqa: E402


def main():
    a = argparse.ArgumentParser()
    a.add_argument('--checkpoint', required=True)
    a.add_argument('--json')
    args = a.parse_args()
    ck = torch.load(args.checkpoint, map_location='cpu')
    cfg = ck['config']
    net = UNet3D(cfg['base'], cfg['depth'])
    net.load_state_dict(ck['state_dict'])
    net.eval()
    mode = cfg['mode']
    train, val = real_halves(cfg['kind'])
    maps = {s.name: predict(net, s.image, cfg['depth']) for s in (train, val)}
    if mode == 'boundary':
        grid = [dict(seedMethod='maxima', seedSmoothing=s, seedMinDistance=m, secondThreshold=t) for s, m, t in itertools.product([0, 2], [3, 4, 5, 6, 8, 10], [0.4, 0.5, 0.6])]
        grid += [dict(seedMethod='components', seedSmoothing=s, seedMinDistance=m, secondThreshold=t) for s, m, t in itertools.product([0, 2], [1, 2, 3, 4, 6], [0.4, 0.5, 0.6])]
    else:
        grid = [dict(secondThreshold=t, foregroundThreshold=f) for t, f in itertools.product([0.3, 0.4, 0.5, 0.6, 0.7, 0.8], [0.3, 0.4, 0.5, 0.6])]
    rows = []
    for g in grid:
        row = {'params': g}
        for s in (train, val):
            p, q = maps[s.name]
            lab = instances(p, q, mode, s.spacing, **g)
            row[s.name] = round(ap_at(lab, s.labels), 4)
            row[s.name + '_n'] = int(len(np.unique(lab)) - 1)
        rows.append(row)
        print(json.dumps(row), flush=True)
    best = max(rows, key=lambda r: r[train.name])
    print(json.dumps({'best_on_training_half': best}))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump({'checkpoint': args.checkpoint, 'rows': rows, 'best_on_training_half': best}, f, indent=1)


if __name__ == '__main__':
    main()
