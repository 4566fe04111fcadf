/**
 * lib/segmentation: the classical CPU instance-segmentation toolkit (pure functions over volumes).
 * See docs/CONTRACTS.md for semantics; `segmentCells` runs the whole pipeline.
 */
export * from './gaussian';
export * from './otsu';
export * from './edt';
export * from './seeds';
export * from './watershed';
export * from './connected-components';
export * from './relabel';
export * from './stats';
export * from './pipeline';
export * from './membrane-pipeline';
