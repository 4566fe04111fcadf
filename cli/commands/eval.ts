/**
 * `tessera eval --pred <labels.nii.gz> --gt <labels.nii.gz> [--json <out.json>]`
 * Instance AP (lib/metrics) of a predicted label map against ground truth on the same grid:
 * AP@0.5, AP@0.75, mean AP over 0.5:0.05:0.95 and the mean IoU of the pairs matched at 0.5.
 */
import { ShapeError } from '../../lib/errors';
import { instanceAP } from '../../lib/metrics';
import { sameShape } from '../../lib/volume';
import { parse, requireString } from '../args';
import { readLabelFile, writeBytes } from '../io';

export const EVAL_HELP = `Usage: tessera eval --pred <labels.nii.gz> --gt <labels.nii.gz> [--json <out.json>]

Score an instance label map against ground truth (AP = TP/(TP+FP+FN), match = IoU > t).

Options:
  --pred <file>   predicted labels (NIfTI)
  --gt <file>     ground-truth labels (NIfTI, same grid)
  --json <file>   write the scores as JSON
  -h, --help      show this help`;

export async function evalCommand(argv: string[], log: (s: string) => void): Promise<number> {
  const { values, positionals } = parse('eval', argv, {
    pred: { type: 'string' },
    gt: { type: 'string' },
    json: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    log(EVAL_HELP);
    return 0;
  }
  if (positionals.length) {
    throw new ShapeError(`unexpected argument '${positionals[0]}'`, { where: 'eval', hint: 'Give --pred and --gt.' });
  }
  const predPath = requireString(values, 'pred', 'eval');
  const gtPath = requireString(values, 'gt', 'eval');
  const pred = readLabelFile(predPath);
  const gt = readLabelFile(gtPath);
  if (!sameShape(pred.shape, gt.shape)) {
    throw new ShapeError(`pred is ${pred.shape.join('×')} but gt is ${gt.shape.join('×')}`, {
      where: 'eval',
      hint: 'Score label maps on the same grid.',
    });
  }
  const r = instanceAP(pred.data, gt.data);
  if (typeof values.json === 'string') writeBytes(values.json, JSON.stringify({ pred: predPath, gt: gtPath, ...r }, null, 1));
  log(
    `AP@0.5 ${r.ap50.toFixed(4)}  AP@0.75 ${r.ap75.toFixed(4)}  AP@[0.5:0.95] ${r.apMean.toFixed(4)}  ` +
      `mean matched IoU ${r.meanMatchedIoU.toFixed(4)}  (pred ${r.nPred}, gt ${r.nGt}, TP@0.5 ${r.tp50})`,
  );
  return 0;
}
