"""The model card's `metrics` rows of one bundled model, from a `tessera eval --suite validation --json`
report (bench/results/eval-validation.json): AP@0.5, AP@0.75 and mAP of the model on each of its
families, and the tuned classical baseline's AP@0.5 beside them.

    /usr/bin/python3 training/unet/card_metrics.py --kind nuclei --eval bench/results/eval-validation.json \
        --out /tmp/nuclei-metrics.json
    /usr/bin/python3 training/unet/export.py --checkpoint ... --tuned ... --metrics /tmp/nuclei-metrics.json --out models/nuclei

The ONNX export is deterministic, so re-exporting with --metrics keeps the sha256 the eval ran.
"""
import argparse
import json

DATASETS = {
    'generated-nuclei': 'held-out generated nuclei ({items} volumes, seeds 9001*100003+i)',
    '1136_mini': 'PlantSeg 1136_mini validation half (x >= 50)',
    'generated-membranes': 'held-out generated membranes ({items} volumes, seeds 9001*100003+i)',
    'sample_ovule': 'PlantSeg sample_ovule validation half (x >= 64)',
}


def rows(report, kind):
    env = report['environment']
    model = env['models'][kind]
    source = f"tessera eval --suite validation --device {env['deviceRequested']} ({model['runner']}), {env['date'][:10]}"
    out = []
    for fam in report['families']:
        if fam['kind'] != kind or kind not in fam['methods']:
            continue
        name = DATASETS[fam['family']].format(items=fam['items'])
        m, c = fam['methods'][kind], fam['methods']['classical']
        for metric, value in (('AP@0.5', m['ap50']), ('AP@0.75', m['ap75']), ('mAP@[0.5:0.95]', m['apMean']), ('classical baseline AP@0.5 (tuned)', c['ap50'])):
            out.append({'dataset': name, 'metric': metric, 'value': round(float(value), 4), 'source': source})
    if not out:
        raise SystemExit(f'the report has no {kind} results')
    return out


def main():
    a = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    a.add_argument('--kind', choices=['nuclei', 'cells'], required=True)
    a.add_argument('--eval', required=True, help='tessera eval --json output')
    a.add_argument('--out', required=True)
    args = a.parse_args()
    with open(args.eval) as f:
        report = json.load(f)
    with open(args.out, 'w') as f:
        json.dump(rows(report, args.kind), f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
