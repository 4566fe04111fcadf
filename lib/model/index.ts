/** lib/model: model cards and the volume ⇄ tensor plumbing of segmentation networks (isomorphic). */
export * from './card';
export * from './layout';
export * from './normalise';
export * from './conform';
export * from './prepare';
export * from './instances';
export * from './cell-instances';
