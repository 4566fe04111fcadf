/** Typed errors of the ONNX runner (all `TesseraError`s with a code from lib/errors). */
import { UnsupportedFormatError } from '../../lib/errors';

/**
 * The model uses operators this engine does not implement. Thrown at load / plan time, before any
 * GPU work, naming every unsupported op type so the caller can fall back to onnxruntime.
 */
export class UnsupportedOpError extends UnsupportedFormatError {
  /** Every unsupported op type (domain-qualified when not the default domain), sorted. */
  readonly ops: string[];
  constructor(ops: string[], opts: { where?: string; detail?: string } = {}) {
    super(`unsupported ONNX operator${ops.length > 1 ? 's' : ''}: ${ops.join(', ')}${opts.detail ? ` (${opts.detail})` : ''}`, {
      where: opts.where ?? 'onnx',
      hint: 'Run this model with onnxruntime (onnxruntime-web / onnxruntime-node) instead.',
    });
    this.ops = ops;
  }
}
