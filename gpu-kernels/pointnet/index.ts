/** PointNet++ GPU kernels (CPU twins in lib/pointnet). */
export { fpsGpu } from './fps/fps';
export { ballQueryGpu } from './ball-query/ball-query';
export { groupGpu } from './group/group';
export { interpolateGpu, threeInterpolateGpu, type InterpolateGpuResult } from './interpolate/interpolate';
export { sharedMlpGpu, sharedMlpMaxPoolGpu } from './shared-mlp/shared-mlp';
export { setAbstractionGpu } from './set-abstraction/set-abstraction';
export { meanShiftModesGpu, meanShiftClustersGpu } from './mean-shift/mean-shift';
