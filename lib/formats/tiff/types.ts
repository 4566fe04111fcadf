/**
 * Public types of the TIFF stack reader.
 */
import type { Volume } from '../../volume';

/** Where the voxel size came from: an ImageJ description, OME-XML, or nothing (plain TIFF). */
export type TiffStackKind = 'imagej' | 'ome' | 'plain';

export type TiffSampleType = 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'uint64' | 'int64' | 'float32' | 'float64';

export type TiffCompressionName = 'none' | 'lzw' | 'deflate' | 'packbits';

export interface TiffStackMeta {
  kind: TiffStackKind;
  /** Channels in the file (ImageJ `channels=` / OME SizeC); only channel 0 is decoded. */
  channels: number;
  /** Z slices in the file (= volume.shape[2] unless a single-slice time series was stacked along z). */
  slices: number;
  /** Time points in the file; only frame 0 is decoded (see `readTiffStack`). */
  frames: number;
  /** ImageDescription of the first page, as stored. */
  description?: string;
  littleEndian: boolean;
  bigTiff: boolean;
  compression: TiffCompressionName;
  sampleType: TiffSampleType;
  /** IFDs (pages) in the main chain, thumbnails excluded. */
  pages: number;
}

export interface TiffStack {
  volume: Volume;
  meta: TiffStackMeta;
}
