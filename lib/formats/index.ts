/** File format readers and writers. */
export * from './nifti';
export * from './pointcloud';
export * from './tiff';
