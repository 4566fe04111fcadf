"""Choose the instance-step parameters of a trained U-Net on TRAINING data only — the training half
of its real crop (x < width/2) and, with --generated, the first --generated-count of the generated
training volumes — never on the validation half or held-out volumes; the validation half's AP is
reported beside each candidate for information.

    /usr/bin/python3 training/unet/tune_postprocess.py --checkpoint runs/cells/model.pt [--json out.json]
    /usr/bin/python3 training/unet/tune_postprocess.py --checkpoint runs/nuclei/model.pt \
        --generated /tmp/tessera-train/nuclei [--json out.json]
    (--checkpoint a.pt,b.pt tunes the probability-averaged ensemble of those networks: model.Ensemble)

Candidates (lib/model/cell-instances.ts implements the chosen recipe; evaluate.py is its Python twin):
- boundary (cells): seed method, smoothing, seedMinDistance (voxels of the finest axis, per axis
  scaled by spacing) and the interior threshold secondThreshold;
- distance (nuclei): foregroundThreshold and secondThreshold with seeds = components of the core
  {q > t}, or = peaks of the core's distance transform (seedMinDistance, seedSmoothing), or = its
  basins split at necks (seedSaddleRatio, seedSmoothing); then, for the best of those, the instance
  size filter (min_size → the card's output.minInstanceVoxels).
The maps come from the deployed inference (evaluate.predict_windows: the card's sliding window =
the training crop, overlap 0.5, Gaussian blending), so the numbers are the ones the shipped model
gives; --predict whole runs the network on the whole volume at once (the training-time proxy).
--mirrors adds test-time mirroring (the card's input.mirror: each window averaged over its flips
along those axes) as a candidate dimension: every grid point is scored once per mirroring
candidate, and the same objective and tie rule choose among all of them.
For `nuclei` a third family joins the tuning (never the validation): StarDist's synthetic 3-D
nucleus stack ../shared/data/cells/stardist_synthetic (31×61×57, 51 labelled nuclei, BSD-3;
spacing 1), a labelled set from another generator that neither training nor `tessera eval` uses.
The best is the highest mean AP@0.5 over the training families (the real training half, the mean
over the generated training volumes when given, StarDist's stack), one JSON line per candidate. AP@0.5 is coarse
on small training sets (the 1136_mini training half has 10 nuclei: one nucleus moves it by 0.06), so
candidates within --tie (0.005) of the best objective count as tied and the tie goes to the highest
mean mAP@[0.5:0.95] over the same families (`objective_map`: finer, it also rewards better masks).
"""
import argparse
import itertools
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dataset import REPO, load_generated, normalise, real_halves  # noqa: E402
from evaluate import ap_at, instances, mean_ap, predict, predict_windows  # noqa: E402
from model import Ensemble, UNet3D  # noqa: E402


def main():
    a = argparse.ArgumentParser()
    a.add_argument('--checkpoint', required=True, help='model.pt, or several comma-separated: their probability-averaged ensemble')
    a.add_argument('--json')
    a.add_argument('--generated', help='generated training-data folder: also tune on its first --generated-count volumes')
    a.add_argument('--generated-count', type=int, default=8)
    a.add_argument('--no-stardist', action='store_true', help='nuclei: leave StarDist\'s synthetic stack out of the tuning')
    a.add_argument('--tie', type=float, default=0.005, help='objectives within this of the best are tied; mAP decides')
    a.add_argument('--mirrors', default='', help="comma-separated test-time mirroring candidates for the card's input.mirror "
                   "(letters of 'xyz'; '' = none), e.g. ',xy' tries none and x+y; default: none only")
    a.add_argument('--predict', choices=['windows', 'whole'], default='windows', help="'windows': the card's sliding window (deployed); 'whole': one pass")
    args = a.parse_args()
    nets, cfgs = [], []
    for path in args.checkpoint.split(','):
        ck = torch.load(path, map_location='cpu')
        cfgs.append(ck['config'])
        member = UNet3D(ck['config']['base'], ck['config']['depth'], ck['config'].get('norm', 'batch'))
        member.load_state_dict(ck['state_dict'])
        nets.append(member)
    cfg = cfgs[0]
    for c in cfgs[1:]:
        if (c['kind'], c['mode'], c['crop_xyz']) != (cfg['kind'], cfg['mode'], cfg['crop_xyz']):
            raise SystemExit('--checkpoint: ensemble members must share kind, mode and training crop')
    net = nets[0] if len(nets) == 1 else Ensemble(nets)
    net.eval()
    mode = cfg['mode']
    train, val = real_halves(cfg['kind'])
    window = tuple(cfg['crop_xyz'][::-1])  # (z, y, x): the card's window
    mirrors = [''.join(sorted(set(m.strip()))) for m in args.mirrors.split(',')]
    if any(set(m) - set('xyz') for m in mirrors) or len(set(mirrors)) != len(mirrors):
        raise SystemExit(f"--mirrors: each candidate is a set of the letters x, y, z ('' = none), got {args.mirrors!r}")
    if args.predict == 'whole' and mirrors != ['']:
        raise SystemExit('--mirrors needs --predict windows (mirroring is done per window)')
    generated = []
    if args.generated:
        _, generated = load_generated(args.generated, args.generated_count)
    extra = None
    if mode == 'distance' and not args.no_stardist:
        import tifffile
        folder = os.path.join(REPO, '..', 'shared', 'data', 'cells', 'stardist_synthetic')
        extra = ('stardist_synthetic', tifffile.imread(os.path.join(folder, 'mask3d.tif')).astype(np.int64), (1.0, 1.0, 1.0))
        extra_image = normalise(tifffile.imread(os.path.join(folder, 'img3d.tif')).astype(np.float32))
    by_mirror = {}
    for m in mirrors:
        axes = tuple(sorted({'z': 0, 'y': 1, 'x': 2}[c] for c in m))
        run = (lambda img, axes=axes: predict_windows(net, img, window, 0.5, axes)) if args.predict == 'windows' else (lambda img: predict(net, img, cfg['depth']))
        by_mirror[m] = {'real': {s.name: run(s.image) for s in (train, val)}, 'generated': [run(s.image) for s in generated],
                        'extra': run(extra_image) if extra else None}
    if mode == 'boundary':
        grid = [dict(seedMethod='maxima', seedSmoothing=s, seedMinDistance=m, secondThreshold=t) for s, m, t in itertools.product([0, 2], [3, 4, 5, 6, 8, 10], [0.4, 0.5, 0.6])]
        grid += [dict(seedMethod='components', seedSmoothing=s, seedMinDistance=m, secondThreshold=t) for s, m, t in itertools.product([0, 2], [1, 2, 3, 4, 6], [0.4, 0.5, 0.6])]
    else:
        grid = [dict(seedMethod='components', secondThreshold=t, foregroundThreshold=f) for t, f in itertools.product([0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9], [0.3, 0.4, 0.5, 0.6])]
        grid += [dict(seedMethod='maxima', seedSmoothing=s, seedMinDistance=m, secondThreshold=t, foregroundThreshold=f)
                 for s, m, t, f in itertools.product([0, 1, 2], [2, 3, 4, 6, 8], [0.5, 0.7], [0.4, 0.5, 0.6])]
        grid += [dict(seedMethod='saddle', seedSmoothing=s, seedSaddleRatio=r, secondThreshold=t, foregroundThreshold=f)
                 for s, r, t, f in itertools.product([0, 1], [0.4, 0.5, 0.6, 0.7, 0.8], [0.5, 0.7], [0.4, 0.5, 0.6])]
    rows = []

    def score(g, mirror):
        maps, gen_maps, extra_maps = by_mirror[mirror]['real'], by_mirror[mirror]['generated'], by_mirror[mirror]['extra']
        row = {'params': g, 'mirror': mirror}
        for s in (train, val):
            p, q = maps[s.name]
            lab = instances(p, q, mode, s.spacing, **g)
            row[s.name] = round(ap_at(lab, s.labels), 4)
            row[s.name + '_map'] = round(mean_ap(lab, s.labels), 4)
            row[s.name + '_n'] = int(len(np.unique(lab)) - 1)
        if generated:
            labs = [instances(p, q, mode, s.spacing, **g) for (p, q), s in zip(gen_maps, generated)]
            row['generated_train'] = round(float(np.mean([ap_at(lab, s.labels) for lab, s in zip(labs, generated)])), 4)
            row['generated_train_map'] = round(float(np.mean([mean_ap(lab, s.labels) for lab, s in zip(labs, generated)])), 4)
        if extra:
            name, labels, spacing = extra
            lab = instances(*extra_maps, mode, spacing, **g)
            row[name] = round(ap_at(lab, labels), 4)
            row[name + '_map'] = round(mean_ap(lab, labels), 4)
        fams = [train.name] + (['generated_train'] if generated else []) + ([extra[0]] if extra else [])
        row['objective'] = round(float(np.mean([row[f] for f in fams])), 4)
        row['objective_map'] = round(float(np.mean([row[f + '_map'] for f in fams])), 4)
        rows.append(row)
        print(json.dumps(row), flush=True)
        return row

    def pick():
        top = max(r['objective'] for r in rows)
        tied = [r for r in rows if r['objective'] >= top - args.tie - 1e-9]
        return max(tied, key=lambda r: (r['objective_map'], r['objective']))

    for m in mirrors:
        for g in grid:
            score(g, m)
    best = pick()
    if mode == 'distance':
        # second stage: the instance size filter (the card's output.minInstanceVoxels) for the best seeds
        for ms in (50, 100, 200):
            score({**best['params'], 'min_size': ms}, best['mirror'])
        best = pick()
    print(json.dumps({'best_on_training_data': best}))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump({'checkpoint': args.checkpoint, 'predict': args.predict, 'mirrors': mirrors, 'generated': [s.name for s in generated], 'extra': extra[0] if extra else None, 'rows': rows, 'best_on_training_data': best}, f, indent=1)


if __name__ == '__main__':
    main()
