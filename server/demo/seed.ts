/** The demo study: synthetic nuclei (lib/synth), stored through the same path as an upload. */
import { writeNifti } from '@/lib/formats/nifti';
import { generateNuclei } from '@/lib/synth';
import type { Vec3 } from '@/lib/volume';
import type { ServiceDeps } from '../services/deps';
import { createVolumeStudyFromUpload } from '../services/studies';

export const DEMO_STUDY_NAME = 'Demo: synthetic nuclei (128³)';

/** Creates the demo study unless one exists. `shape` is for tests (default 128³). */
export async function seedDemo(
  deps: ServiceDeps,
  opts: { shape?: Vec3; name?: string } = {},
): Promise<{ studyId: string; created: boolean }> {
  const name = opts.name ?? DEMO_STUDY_NAME;
  const existing = await deps.db.study.findFirst({ where: { name }, select: { id: true } });
  if (existing) return { studyId: existing.id, created: false };
  const { image } = generateNuclei({ shape: opts.shape ?? [128, 128, 128], seed: 1 });
  const bytes = writeNifti({ volume: { ...image, units: image.units ?? 'um' }, descrip: 'Tessera synthetic nuclei, seed 1' }, { gzip: true });
  const { studyId } = await createVolumeStudyFromUpload(deps, bytes, {
    filename: 'demo_nuclei_128.nii.gz',
    name,
    modality: 'fluorescence',
  });
  return { studyId, created: true };
}
