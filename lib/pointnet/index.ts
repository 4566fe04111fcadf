/** PointNet++ building blocks (CPU twins of gpu-kernels/pointnet/*). Isomorphic pure TS. */
export { F32_MAX, dist2 } from './common';
export { fps, fpsBruteForce } from './fps';
export { ballQuery, ballQueryBruteForce, type BallQueryResult, type Centres } from './ball-query';
export { group, type GroupOptions } from './group';
export { threeNN, interpolate, type ThreeNN } from './interpolate';
export { mlpLayer, sharedMlp, maxPool, randomLayer, type MlpLayer, type MlpOptions } from './mlp';
export { setAbstraction, featurePropagation, gatherPoints, type Scale, type SetAbstractionOptions, type SetAbstractionResult } from './set-abstraction';
export { compactValid, type CompactPoints } from './cloud';
