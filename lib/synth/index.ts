export { generateNuclei, type NucleiOptions, type Nucleus, type SyntheticNuclei } from './nuclei';
export { mulberry32, normal, poisson, randomRotation, uniform } from './prng';
export { generateMembranes, blurVoxels, randomMembraneOptions, type MembraneOptions, type MembraneCell, type SyntheticMembranes } from './membranes';
export {
  DEFAULT_NUCLEI_RANGES,
  MAX_RANDOM_NUCLEI,
  MICROSCOPY_NUCLEI_RANGES,
  NUCLEI_RANGE_PRESETS,
  drawNucleiParams,
  generateRandomNuclei,
  type NucleiRanges,
  type RandomNuclei,
  type RandomNucleiOptions,
  type RandomNucleiParams,
  type Range,
} from './nuclei-random';
export {
  copyPaste,
  cropInstance,
  randomCopyPaste,
  rescaleInstances,
  type CopyPasteOptions,
  type CopyPasteResult,
  type LabelledVolume,
  type PastedInstance,
  type RandomCopyPasteOptions,
  type RandomCopyPasteResult,
} from './copy-paste';
export { trainingTargets, type TrainingTargets } from './training-targets';
