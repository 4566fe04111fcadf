/**
 * The demo studies, stored through the same paths as uploads: synthetic nuclei (lib/synth, a volume)
 * and a synthetic tabletop scene (lib/synth/scenes, a labelled point cloud). Each is created only
 * when no study of its name exists, so re-seeding is idempotent.
 */
import { writeNifti } from '@/lib/formats/nifti';
import { writePly } from '@/lib/formats/pointcloud';
import { generateNuclei } from '@/lib/synth';
import { CLASS_IDS, generateScene } from '@/lib/synth/scenes';
import type { Vec3 } from '@/lib/volume';
import type { ServiceDeps } from '../services/deps';
import { createPointCloudStudyFromUpload } from '../services/pointclouds';
import { createVolumeStudyFromUpload } from '../services/studies';

export const DEMO_STUDY_NAME = 'Demo: synthetic nuclei (128³)';
/**
 * Name of the demo point cloud. It deliberately does not start with "Demo" (tests find the volume
 * demo as the study whose name starts with "Demo").
 */
export const DEMO_POINTCLOUD_NAME = 'Sample scene: synthetic tabletop (point cloud)';
/** Seed of the demo scene (a training-split seed: it is a demo, not validation data). */
export const DEMO_SCENE_SEED = 42;

/**
 * Creates the demo volume study unless one exists. `shape` is for tests (default 128³).
 * `pointCloud`: also seed the demo point cloud (`seedDemoPointCloud`); default true for the plain
 * call (boot, scripts/seed-demo.ts), false when the caller customises the volume (`shape`/`name`).
 */
export async function seedDemo(
  deps: ServiceDeps,
  opts: { shape?: Vec3; name?: string; pointCloud?: boolean } = {},
): Promise<{ studyId: string; created: boolean }> {
  const withPointCloud = opts.pointCloud ?? (opts.shape === undefined && opts.name === undefined);
  if (withPointCloud) await seedDemoPointCloud(deps);
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

/**
 * Creates the demo point-cloud study unless one of that name exists: a tabletop scene (8 objects,
 * 2 touching pairs) written as a labelled PLY (per-point `instance` and `class`, class names in a
 * header comment) and uploaded through `createPointCloudStudyFromUpload`.
 */
export async function seedDemoPointCloud(
  deps: ServiceDeps,
  opts: { name?: string; seed?: number } = {},
): Promise<{ studyId: string; created: boolean }> {
  const name = opts.name ?? DEMO_POINTCLOUD_NAME;
  const existing = await deps.db.study.findFirst({ where: { name }, select: { id: true } });
  if (existing) return { studyId: existing.id, created: false };
  const seed = opts.seed ?? DEMO_SCENE_SEED;
  const scene = generateScene({ seed, kind: 'tabletop', objects: [8, 8], touching: 2 });
  const bytes = writePly(scene.cloud, {
    instance: scene.instance,
    classId: scene.classId,
    comments: [
      `tessera synthetic tabletop scene, seed ${seed}`,
      `classes 0=background ${Object.entries(CLASS_IDS).map(([k, v]) => `${v}=${k}`).join(' ')}`,
    ],
  });
  const { studyId } = await createPointCloudStudyFromUpload(deps, bytes, {
    filename: `demo_tabletop_${seed}.ply`,
    name,
    modality: 'synthetic RGB-D',
  });
  return { studyId, created: true };
}
