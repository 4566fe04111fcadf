/** Browser-safe runtime API (Node callers also import './node-gpu' once). */
export * from './device';
export * from './errors';
export { BufferPool, sizeClass } from './buffer-pool';
export { PipelineCache, pipelineKey, type PipelineSpec } from './pipeline-cache';
