/** ONNX runner on WebGPU: load, prepare, run; see README.md. */
export { loadOnnx, type OnnxModel, type OnnxNode, type ConstTensor, type ValueInfo } from './loader';
export { UnsupportedOpError } from './errors';
export { SUPPORTED_OPS, prepareGraph, planGraph, type PreparedGraph, type GraphPlan, type MemoryPlan } from './graph';
export {
  prepareModel, runModel, receptiveField, planTiles,
  type GpuModel, type InputTensor, type OutputTensor, type RunOptions, type RunStats, type ReceptiveField,
} from './executor';
export { type ConvPrecision, type PrecisionOption, resolveConvPrecision } from './ops/conv/conv';
export { runSlidingWindow, windowStarts, blendWeights, type SlidingWindowOptions } from './sliding-window';
