/** Point clouds: PLY, PCD, LAS/LAZ, XYZ/CSV text and headerless raw arrays → one PointCloud type. */
export type { PointCloud, CloudParts, Vec3Tuple } from './types';
export { finishCloud } from './types';
export { readPointCloud, detectPointCloudFormat, type PointCloudFormat } from './read';
export { readPly, writePly, parsePlyHeader, type PlyHeader, type PlyElement, type PlyProperty, type PlyWriteOptions } from './ply';
export { readPcd, parsePcdHeader, type PcdHeader, type PcdField } from './pcd';
export { readLas, parseLasHeader, type LasHeaderInfo } from './las';
export { readXyz, type XyzOptions } from './xyz';
export {
  readRawPoints, readRawLabels, splitSemanticKittiLabels, withLabels, readScanNetLike, readSemanticKitti,
  type RawPointsLayout,
} from './raw';
export { lzfDecompress, lzfCompress } from './lzf';
export { propertyRole, type PropertyRole } from './common';
