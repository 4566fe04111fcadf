/** NIfTI-1/2 reading and writing (single .nii / .nii.gz files). */
export { readNifti, validateNiftiBytes, summarizeNiftiHeader, effectiveScaling } from './read';
export { writeNifti, writeLabelNifti, NIFTI_INTENT_LABEL } from './write';
export { parseNiftiHeader, MAX_NIFTI_VOXELS } from './header-read';
export { axisCodes, headerAffine, headerSpacing, quaternionToAffine, affineToQuaternion, spatialUnits } from './affine';
export { NIFTI_DATATYPES, datatypeFromCode, type NiftiDatatypeName, type NiftiDatatypeInfo } from './datatypes';
export type { NiftiHeader, NiftiImage, NiftiSummary, NiftiWriteInput, NiftiWriteOptions, Vec4 } from './types';
