"""Choose the instance-step parameters of a trained U-Net on TRAINING data only — the training half
of its real crop (x < width/2) and, with --generated, the first --generated-count of the generated
training volumes — never on the validation half or held-out volumes; the validation half's AP is
reported beside each candidate for information.

    /usr/bin/python3 training/unet/tune_postprocess.py --checkpoint runs/cells/model.pt [--json out.json]
    /usr/bin/python3 training/unet/tune_postprocess.py --checkpoint runs/nuclei/model.pt \
        --generated /tmp/tessera-train/nuclei [--json out.json]

Candidates (lib/model/cell-instances.ts implements the chosen recipe; evaluate.py is its Python twin):
- boundary (cells): seed method, smoothing, seedMinDistance (voxels of the finest axis, per axis
  scaled by spacing) and the interior threshold secondThreshold;
- distance (nuclei): foregroundThreshold and secondThreshold with seeds = components of the core
  {q > t}, or = peaks of the core's distance transform (seedMinDistance, seedSmoothing); then, for the
  best of those, the instance size filter (min_size → the card's output.minInstanceVoxels).
The best is the highest mean AP@0.5 over the training families (the real training half, and the
mean over the generated training volumes when given), one JSON line per candidate.
"""
import argparse
import itertools
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dataset import load_generated, real_halves  # noqa: E402
from evaluate import ap_at, instances, predict  # noqa: E402
from model import UNet3D  # noqa: E402


def main():
    a = argparse.ArgumentParser()
    a.add_argument('--checkpoint', required=True)
    a.add_argument('--json')
    a.add_argument('--generated', help='generated training-data folder: also tune on its first --generated-count volumes')
    a.add_argument('--generated-count', type=int, default=8)
    args = a.parse_args()
    ck = torch.load(args.checkpoint, map_location='cpu')
    cfg = ck['config']
    net = UNet3D(cfg['base'], cfg['depth'])
    net.load_state_dict(ck['state_dict'])
    net.eval()
    mode = cfg['mode']
    train, val = real_halves(cfg['kind'])
    maps = {s.name: predict(net, s.image, cfg['depth']) for s in (train, val)}
    generated = []
    if args.generated:
        _, generated = load_generated(args.generated, args.generated_count)
        gen_maps = [predict(net, s.image, cfg['depth']) for s in generated]
    if mode == 'boundary':
        grid = [dict(seedMethod='maxima', seedSmoothing=s, seedMinDistance=m, secondThreshold=t) for s, m, t in itertools.product([0, 2], [3, 4, 5, 6, 8, 10], [0.4, 0.5, 0.6])]
        grid += [dict(seedMethod='components', seedSmoothing=s, seedMinDistance=m, secondThreshold=t) for s, m, t in itertools.product([0, 2], [1, 2, 3, 4, 6], [0.4, 0.5, 0.6])]
    else:
        grid = [dict(seedMethod='components', secondThreshold=t, foregroundThreshold=f) for t, f in itertools.product([0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9], [0.3, 0.4, 0.5, 0.6])]
        grid += [dict(seedMethod='maxima', seedSmoothing=s, seedMinDistance=m, secondThreshold=t, foregroundThreshold=f)
                 for s, m, t, f in itertools.product([0, 1, 2], [2, 3, 4, 6, 8], [0.5, 0.7], [0.4, 0.5, 0.6])]
    rows = []

    def score(g):
        row = {'params': g}
        for s in (train, val):
            p, q = maps[s.name]
            lab = instances(p, q, mode, s.spacing, **g)
            row[s.name] = round(ap_at(lab, s.labels), 4)
            row[s.name + '_n'] = int(len(np.unique(lab)) - 1)
        if generated:
            row['generated_train'] = round(float(np.mean([ap_at(instances(p, q, mode, s.spacing, **g), s.labels) for (p, q), s in zip(gen_maps, generated)])), 4)
            row['objective'] = round((row[train.name] + row['generated_train']) / 2, 4)
        else:
            row['objective'] = row[train.name]
        rows.append(row)
        print(json.dumps(row), flush=True)
        return row

    for g in grid:
        score(g)
    best = max(rows, key=lambda r: r['objective'])
    if mode == 'distance':
        # second stage: the instance size filter (the card's output.minInstanceVoxels) for the best seeds
        for ms in (50, 100, 200):
            score({**best['params'], 'min_size': ms})
        best = max(rows, key=lambda r: r['objective'])
    print(json.dumps({'best_on_training_data': best}))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump({'checkpoint': args.checkpoint, 'generated': [s.name for s in generated], 'rows': rows, 'best_on_training_data': best}, f, indent=1)


if __name__ == '__main__':
    main()
