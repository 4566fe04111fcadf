export { generateNuclei, type NucleiOptions, type Nucleus, type SyntheticNuclei } from './nuclei';
export { mulberry32, normal, poisson, randomRotation, uniform } from './prng';
