/** The PointNet++ instance model on the GPU kernels (CPU twin: lib/pointnet/model). */
export { runNetworkGpu } from './network-gpu';
export { segmentPointsGpu } from './segment-gpu';
export { loadPointNetModel } from './load';
