/**
 * Typed errors shared by every layer. Each error says what went wrong, where, and how to fix it.
 * Readers and algorithms throw these; the tRPC error formatter and the CLI map `code` to a status
 * or an exit message.
 */
export type ErrorCode =
  | 'FORMAT_INVALID'
  | 'FORMAT_UNSUPPORTED'
  | 'TRUNCATED'
  | 'SHAPE_MISMATCH'
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'GPU_UNAVAILABLE'
  | 'GPU_SHADER'
  | 'GPU_DEVICE_LOST'
  | 'GPU_LIMITS'
  | 'CONFLICT'
  | 'UNAUTHORIZED';

export class TesseraError extends Error {
  readonly code: ErrorCode;
  /** Where the problem is (file, field, byte offset, parameter name). */
  readonly where?: string;
  /** How to fix it, in one sentence. */
  readonly hint?: string;

  constructor(code: ErrorCode, message: string, opts: { where?: string; hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.where = opts.where;
    this.hint = opts.hint;
  }

  /** One line for a CLI or a toast: "what (where). hint" */
  toOneLine(): string {
    const where = this.where ? ` (${this.where})` : '';
    const hint = this.hint ? ` ${this.hint}` : '';
    return `${this.message}${where}.${hint}`;
  }
}

/** A file is not of the format it claims, or its header contradicts its contents. */
export class FormatError extends TesseraError {
  constructor(message: string, opts: { where?: string; hint?: string; cause?: unknown } = {}) {
    super('FORMAT_INVALID', message, opts);
  }
}

/** A file of a format (or a variant of it) this build cannot read. */
export class UnsupportedFormatError extends TesseraError {
  constructor(message: string, opts: { where?: string; hint?: string; cause?: unknown } = {}) {
    super('FORMAT_UNSUPPORTED', message, opts);
  }
}

/** A file ends before the data its header announces. */
export class TruncatedError extends TesseraError {
  constructor(message: string, opts: { where?: string; hint?: string; cause?: unknown } = {}) {
    super('TRUNCATED', message, opts);
  }
}

/** Arrays whose shapes do not agree. */
export class ShapeError extends TesseraError {
  constructor(message: string, opts: { where?: string; hint?: string; cause?: unknown } = {}) {
    super('SHAPE_MISMATCH', message, opts);
  }
}

/** A parameter outside its domain. */
export class ArgumentError extends TesseraError {
  constructor(message: string, opts: { where?: string; hint?: string; cause?: unknown } = {}) {
    super('INVALID_ARGUMENT', message, opts);
  }
}

export function isTesseraError(e: unknown): e is TesseraError {
  return e instanceof TesseraError;
}
