/**
 * Shared pieces of the synthetic generators: the camera model (Poisson shot noise on the blurred
 * signal, additive Gaussian read noise, rounded and clipped to [0, maxGrey]) and the range check of
 * their options. The per-voxel draw order (Poisson, then normal) is part of each generator's seeded
 * output, so it stays fixed here.
 */
import { ArgumentError } from '../errors';
import { normal, poisson } from './prng';

export function sensorImage(blurred: Float32Array, rng: () => number, o: { poisson: boolean; noiseSd: number; maxGrey: number }): Uint16Array {
  const image = new Uint16Array(blurred.length);
  for (let i = 0; i < blurred.length; i++) {
    let v = o.poisson ? poisson(rng, blurred[i]) : blurred[i];
    if (o.noiseSd > 0) v += o.noiseSd * normal(rng);
    image[i] = v <= 0 ? 0 : v >= o.maxGrey ? o.maxGrey : Math.round(v);
  }
  return image;
}

/** Throws INVALID_ARGUMENT `<where>.<name> is out of range` unless v is finite and ok. */
export function checkOption(where: string, name: string, v: number, ok: boolean, hint: string): void {
  if (!Number.isFinite(v) || !ok) throw new ArgumentError(`${name} is out of range: ${v}`, { where: `${where}.${name}`, hint });
}
