/**
 * Argument helpers for the `tessera` CLI: node:util parseArgs with typed errors, and number parsing
 * that names the flag at fault.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ArgumentError } from '../lib/errors';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** Parse `argv` strictly against `options`; unknown flags and missing values throw ArgumentError. */
export function parse(command: string, argv: string[], options: OptionSpec): Parsed {
  try {
    const r = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: r.values as Parsed['values'], positionals: r.positionals };
  } catch (e) {
    const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new ArgumentError(msg.replace(/\.$/, ''), { where: command, hint: `Run 'tessera ${command} --help' for usage.` });
  }
}

/** A required string flag. */
export function requireString(values: Parsed['values'], name: string, command: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') {
    throw new ArgumentError(`missing --${name}`, { where: command, hint: `Run 'tessera ${command} --help' for usage.` });
  }
  return v;
}

/** Parse a numeric flag; undefined when absent. */
export function numberFlag(
  values: Parsed['values'],
  name: string,
  opts: { min?: number; exclusiveMin?: boolean; integer?: boolean } = {},
): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const v = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
  const fail = (why: string): never => {
    throw new ArgumentError(`--${name} ${why}, got '${String(raw)}'`, { where: `--${name}` });
  };
  if (!Number.isFinite(v)) fail('must be a number');
  if (opts.integer && !Number.isInteger(v)) fail('must be an integer');
  if (opts.min !== undefined && (opts.exclusiveMin ? v <= opts.min : v < opts.min)) {
    fail(`must be ${opts.exclusiveMin ? '>' : '≥'} ${opts.min}`);
  }
  return v;
}
