/**
 * SERVER-SIDE (Node; also the CLI and the eval suite): the models Tessera ships, trained by the
 * project (training/unet) and committed under `models/<name>/`: `<name>.onnx` + `card.json`
 * (lib/model/card.ts). The card's sha256 is checked against the bytes on every load.
 *
 *   const { bytes, card } = loadBundledModel('nuclei');
 *   await runModelOnVolume(bytes, volume, card, { device: 'auto' });
 *
 * `isBundledModelName` tells CLI/API arguments 'nuclei' | 'cells' apart from registry ids and paths.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FormatError, TesseraError } from '../../lib/errors';
import { type ModelCard, parseModelCard } from '../../lib/model/card';

export const BUNDLED_MODEL_NAMES = ['nuclei', 'cells'] as const;
export type BundledModelName = (typeof BUNDLED_MODEL_NAMES)[number];

export function isBundledModelName(s: string): s is BundledModelName {
  return (BUNDLED_MODEL_NAMES as readonly string[]).includes(s);
}

export interface BundledModel {
  name: BundledModelName;
  bytes: Uint8Array;
  card: ModelCard;
  /** The model's folder and its ONNX file. */
  dir: string;
  path: string;
}

function root(): string {
  return process.env.TESSERA_ROOT ?? process.cwd();
}

/** The committed files of a bundled model, sha256-checked against its card. */
export function loadBundledModel(name: BundledModelName, modelsDir = path.join(root(), 'models')): BundledModel {
  const dir = path.join(modelsDir, name);
  const onnxPath = path.join(dir, `${name}.onnx`);
  const cardPath = path.join(dir, 'card.json');
  let bytes: Uint8Array;
  let cardJson: unknown;
  try {
    bytes = new Uint8Array(readFileSync(onnxPath));
    cardJson = JSON.parse(readFileSync(cardPath, 'utf8'));
  } catch (e) {
    throw new TesseraError('NOT_FOUND', `bundled model '${name}' is missing or unreadable (${(e as Error).message})`, {
      where: dir,
      hint: 'Run from the project root (or set TESSERA_ROOT); the files come with the repository (training/unet/retrain.sh rebuilds them).',
      cause: e,
    });
  }
  const card = parseModelCard(cardJson, cardPath);
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (card.sha256 && card.sha256 !== sha) {
    throw new FormatError(`sha256 of ${name}.onnx is ${sha}, the card says ${card.sha256}`, { where: onnxPath, hint: 'Re-export the model (training/unet/export.py) so the card and the weights match.' });
  }
  return { name, bytes, card, dir, path: onnxPath };
}
