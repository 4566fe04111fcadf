"""Train the `nuclei` or `cells` U-Net on CPU (Debian python3-torch 1.13).

    /usr/bin/python3 training/unet/train.py --kind nuclei --data /tmp/tessera-train/nuclei \
        --out training/unet/runs/nuclei --iters 3000

Each step: `batch` random crops (window = --crop, x,y,z), a fraction `--real-frac` from the
training half of the real crop (x < width/2), the rest from the generated volumes; augmentation
(augment.py); AdamW, cosine learning-rate decay over --iters; fixed seed. Logs one JSON line per
--log-every steps and per evaluation to <out>/metrics.jsonl; evaluation (evaluate.py) on the
validation half of the real crop every --eval-every steps and at the end. Saves <out>/model.pt
(weights + config) at the end: the exported model. best.pt (the best validation AP@0.5 seen) is
kept as a diagnostic only: choosing a checkpoint by the validation half would tune on it.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from augment import augment  # noqa: E402
from dataset import load_generated, random_crop, real_halves  # noqa: E402
from evaluate import evaluate  # noqa: E402
from losses import unet_loss  # noqa: E402
from model import NORMS, UNet3D, count_parameters  # noqa: E402

MODES = {'nuclei': 'distance', 'cells': 'boundary'}


def parse_args(argv=None):
    a = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    a.add_argument('--kind', choices=['nuclei', 'cells'], required=True)
    a.add_argument('--data', required=True, help='folder written by `npx tessera generate-training-data`')
    a.add_argument('--out', required=True)
    a.add_argument('--iters', type=int, default=3000)
    a.add_argument('--minutes', type=float, default=None, help='stop after this wall time (smoke runs)')
    a.add_argument('--seed', type=int, default=0)
    a.add_argument('--crop', default='48,48,32', help='training crop x,y,z (= the card window)')
    a.add_argument('--base', type=int, default=8)
    a.add_argument('--depth', type=int, default=3)
    a.add_argument('--batch', type=int, default=2)
    a.add_argument('--lr', type=float, default=2e-3)
    a.add_argument('--real-frac', type=float, default=0.3)
    a.add_argument('--threads', type=int, default=2)
    a.add_argument('--mode', choices=['distance', 'boundary'], help="second head: 'distance' (nucleus core) or 'boundary'; default per kind (nuclei: distance, cells: boundary)")
    a.add_argument('--device', default='cpu', help="torch device: cpu (the recipe) or cuda (quick checks on a lent GPU)")
    a.add_argument('--log-every', type=int, default=10)
    a.add_argument('--eval-every', type=int, default=250)
    a.add_argument('--limit-volumes', type=int, default=None)
    a.add_argument('--norm', choices=NORMS, default='batch', help="normalisation layers: 'batch' (BatchNorm, folded at export) or 'instance'")
    return a.parse_args(argv)


def to_batch(crops, mode):
    x = torch.from_numpy(np.stack([c['image'] for c in crops])[:, None])
    fg = torch.from_numpy(np.stack([c['foreground'] for c in crops])[:, None].astype(np.float32))
    key = 'boundary' if mode == 'boundary' else 'distance'
    second = torch.from_numpy(np.stack([c[key] for c in crops])[:, None].astype(np.float32))
    return x, fg, second


def cpu_state(net):
    return {k: v.detach().cpu() for k, v in net.state_dict().items()}


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    mode = args.mode or MODES[args.kind]
    cx, cy, cz = (int(v) for v in args.crop.split(','))
    crop = (cz, cy, cx)
    if any(c % 2 ** args.depth for c in crop):
        raise SystemExit(f'--crop must be a multiple of {2 ** args.depth} on every axis')
    os.makedirs(args.out, exist_ok=True)
    t_load = time.time()
    kind, generated = load_generated(args.data, args.limit_volumes)
    if kind != args.kind:
        raise SystemExit(f'{args.data} holds {kind} volumes, not {args.kind}')
    real_train, real_val = real_halves(args.kind)
    load_s = time.time() - t_load
    device = torch.device(args.device)
    net = UNet3D(args.base, args.depth, args.norm).to(device)
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=1e-4)
    config = {'kind': args.kind, 'mode': mode, 'base': args.base, 'depth': args.depth, 'crop_xyz': [cx, cy, cz],
              'seed': args.seed, 'iters': args.iters, 'batch': args.batch, 'lr': args.lr, 'real_frac': args.real_frac,
              'generated_volumes': len(generated), 'data': os.path.abspath(args.data), 'parameters': count_parameters(net),
              'torch': torch.__version__, 'threads': args.threads, 'device': args.device, 'norm': args.norm}
    log_path = os.path.join(args.out, 'metrics.jsonl')
    log = open(log_path, 'w')

    def emit(rec):
        log.write(json.dumps(rec) + '\n')
        log.flush()
        print(json.dumps(rec), flush=True)

    emit({'event': 'start', **config, 'load_s': round(load_s, 1)})
    t0 = time.time()
    best = -1.0
    run_loss, run_parts, n_run = 0.0, {'fg': 0.0, 'second': 0.0}, 0
    it = 0
    for it in range(1, args.iters + 1):
        lr = args.lr * 0.5 * (1 + math.cos(math.pi * (it - 1) / args.iters))
        for g in opt.param_groups:
            g['lr'] = lr
        crops = []
        for _ in range(args.batch):
            src = real_train if rng.random() < args.real_frac else generated[rng.integers(len(generated))]
            crops.append(augment(random_crop(src, crop, rng), rng))
        x, fg, second = (t.to(device) for t in to_batch(crops, mode))
        net.train()
        f, b = net(x)
        loss, parts = unet_loss(f, b, fg, second, mode)
        opt.zero_grad()
        loss.backward()
        opt.step()
        run_loss += float(loss)
        for k in parts:
            run_parts[k] += parts[k]
        n_run += 1
        elapsed = time.time() - t0
        stop = args.minutes is not None and elapsed > args.minutes * 60
        if it % args.log_every == 0 or stop or it == args.iters:
            emit({'event': 'train', 'iter': it, 'time_s': round(elapsed, 1), 'lr': round(lr, 6), 'loss': round(run_loss / n_run, 4),
                  **{f'loss_{k}': round(v / n_run, 4) for k, v in run_parts.items()}})
            run_loss, run_parts, n_run = 0.0, {'fg': 0.0, 'second': 0.0}, 0
        if it % args.eval_every == 0 or stop or it == args.iters:
            te = time.time()
            m = evaluate(net, real_val, mode, args.depth)
            emit({'event': 'eval', 'iter': it, 'time_s': round(time.time() - t0, 1), 'eval_s': round(time.time() - te, 1), 'val': real_val.name, **m})
            torch.save({'config': config, 'state_dict': cpu_state(net), 'iter': it, 'val': m}, os.path.join(args.out, 'last.pt'))
            if m['ap50'] > best:
                best = m['ap50']
                torch.save({'config': config, 'state_dict': cpu_state(net), 'iter': it, 'val': m}, os.path.join(args.out, 'best.pt'))
        if stop:
            break
    torch.save({'config': config, 'state_dict': cpu_state(net), 'iter': it, 'val': m}, os.path.join(args.out, 'model.pt'))
    emit({'event': 'end', 'iter': it, 'time_s': round(time.time() - t0, 1), 'best_val_ap50': best})
    log.close()


if __name__ == '__main__':
    main()
