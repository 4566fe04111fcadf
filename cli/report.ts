/**
 * The run report the segment commands share: the pipeline's total time, the `--json` file, and the
 * "(device: …, adapter: …, runner: tessera)" note of their summary line.
 */
import { writeBytes } from './io';

/** Sum of a pipeline's stage timings (ms). */
export function pipelineMsOf(timings: Record<string, number>): number {
  return Object.values(timings).reduce((a, b) => a + b, 0);
}

/** With `--json <file>` given (`jsonPath` a string), writes the report built by `build` as JSON (one-space indent). */
export function writeJsonReport(jsonPath: unknown, build: () => { input: string; output: string } & Record<string, unknown>): void {
  if (typeof jsonPath === 'string') writeBytes(jsonPath, JSON.stringify(build(), null, 1));
}

/** "device: webgpu, adapter: <name>, runner: tessera" (no adapter part without one). */
export function deviceNote(device: string, adapter: string | null): string {
  return `device: ${device}${adapter ? `, adapter: ${adapter}` : ''}, runner: tessera`;
}
