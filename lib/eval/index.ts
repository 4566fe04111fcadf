/**
 * lib/eval: the validation suite of the bundled models (issue #5) — the validation set, crop
 * halves, the tuned classical baselines, the runner and its tables. Pure; I/O is the caller's
 * (cli/validation-data.ts reads the real crops, cli/commands/eval.ts runs the models).
 */
export * from './crop';
export * from './validation-set';
export * from './classical-search';
export * from './suite';
export * from './report';
