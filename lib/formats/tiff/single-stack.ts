/**
 * One TIFF z stack as a volume that a NIfTI header (and the pipelines) can hold: one channel and
 * one time point, refused otherwise with a Fiji hint (the reader decodes only channel 0 / frame 0);
 * spacings in nm / cm / Å — units a NIfTI header cannot name — re-expressed in µm, so physical-unit
 * parameters see µm; a diagonal affine. Used by the CLI reader and the upload (the one place).
 */
import { UnsupportedFormatError } from '../../errors';
import { identityAffine, type Vec3, type Volume } from '../../volume';
import type { TiffStack } from './types';

/** µm per unit for the units a TIFF may carry but a NIfTI header cannot name. */
const TO_MICRONS: Record<string, number> = { nm: 1e-3, cm: 1e4, 'Å': 1e-4 };

export function singleStackVolume(stack: TiffStack, where: string): Volume {
  const { volume, meta } = stack;
  if (meta.channels > 1) {
    throw new UnsupportedFormatError(`the TIFF has ${meta.channels} channels; a volume holds one channel`, {
      where,
      hint: 'Split the channels in Fiji (Image > Color > Split Channels) and use the one to segment.',
    });
  }
  if (meta.frames > 1 && meta.slices > 1) {
    throw new UnsupportedFormatError(`the TIFF is a time series of ${meta.frames} z stacks; one z stack is expected`, {
      where,
      hint: 'Save one time point (Fiji: Image > Duplicate, one frame) as a TIFF.',
    });
  }
  const f = volume.units === undefined ? undefined : TO_MICRONS[volume.units];
  if (f === undefined) return { ...volume, affine: identityAffine(volume.spacing) };
  const spacing = volume.spacing.map((s) => s * f) as Vec3;
  return { ...volume, spacing, affine: identityAffine(spacing), units: 'um' };
}
