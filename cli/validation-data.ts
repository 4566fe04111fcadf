/**
 * Node loader of the validation set (lib/eval/validation-set.ts): reads the real labelled crops
 * from the shared data folder (default `<project root>/../shared/data`, the root being
 * TESSERA_ROOT or the working directory) and builds their validation halves, plus the generated
 * held-out volumes. A missing file is a NOT_FOUND error naming it, with the flag to fix it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { TesseraError } from '../lib/errors';
import { DEFAULT_GENERATED_SPEC, type GeneratedSpec, REAL_CROPS, type ValidationItem, generatedValidationItems, realCropItem } from '../lib/eval/validation-set';
import { readImageFile, readLabelFile } from './io';

export function defaultSharedDataDir(): string {
  return path.resolve(process.env.TESSERA_ROOT ?? process.cwd(), '..', 'shared', 'data');
}

/** The validation halves of the real crops, read from `dataDir`. */
export function loadRealCropItems(dataDir: string = defaultSharedDataDir()): ValidationItem[] {
  return REAL_CROPS.map((def) => {
    const image = path.join(dataDir, def.image);
    const labels = path.join(dataDir, def.labels);
    for (const f of [image, labels]) {
      if (!existsSync(f)) {
        throw new TesseraError('NOT_FOUND', `validation crop file not found`, { where: f, hint: 'Give the shared data folder with --data <dir> (it holds cells/plantseg/).' });
      }
    }
    return realCropItem(def, readImageFile(image).volume, readLabelFile(labels));
  });
}

/** The whole validation set: real crops first, then the generated volumes, in table order. */
export function loadValidationSet(dataDir: string = defaultSharedDataDir(), spec: GeneratedSpec = DEFAULT_GENERATED_SPEC): ValidationItem[] {
  const real = loadRealCropItems(dataDir);
  const gen = generatedValidationItems(spec);
  return [...real, ...gen];
}
