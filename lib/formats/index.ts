/** File format readers and writers. */
export * from './nifti';
