/** TIFF stack reading (classic TIFF and BigTIFF; ImageJ and OME-TIFF voxel sizes). */
export { readTiffStack, MAX_TIFF_VOXELS, MAX_TIFF_BYTES } from './read';
export { decodeLzw, decodePackBits, decodeDeflate } from './codecs';
export { normalizeUnit } from './metadata';
export type { TiffStack, TiffStackMeta, TiffStackKind, TiffSampleType, TiffCompressionName } from './types';
export { singleStackVolume } from './single-stack';
