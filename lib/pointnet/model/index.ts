/** The PointNet++ instance model (inference, CPU twins): card, weights, preprocessing, network, clustering. */
export { PointNetCardSchema, parsePointNetCard, type PointNetCard } from './card';
export { weightsFromTensors, type NamedTensor, type PointNetWeights } from './weights';
export { fitSupportFrame, applyFrame, rotateBack, type SupportFrame, type PlaneOptions } from './align';
export { prepareCloud, prepareBand, selectInput, type PreparedCloud, type BandCloud, type PrepareOptions } from './prepare';
export { runNetwork, heightFeature, softmaxRows, head, levelCounts, type NetworkOutput } from './network';
export { radiusComponents } from './cluster';
export { meanShiftClusters } from './mean-shift';
export { threeNNGrid } from './knn';
export {
  segmentPoints, pointNetModel, sampleInstances, propagate, bandPoints, prepareOptions, checkSegmentOptions, checkCloud,
  type PointNetModel, type PointSegmentation, type PointInstance, type SegmentPointsOptions, type ClusterParams,
} from './segment';
