/**
 * Throttled progress writer: remembers the latest (stage, fraction) and writes at most one update
 * every `intervalMs`, one at a time, never after `close()`. Stage changes are written promptly.
 */
export class ProgressWriter {
  private latest: { stage: string; progress: number } | null = null;
  private lastWrite = 0;
  private lastStage: string | null = null;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly write: (stage: string, progress: number) => Promise<void>,
    private readonly intervalMs = 250,
  ) {}

  report(stage: string, progress: number): void {
    if (this.closed) return;
    const p = Math.min(1, Math.max(0, Number.isFinite(progress) ? progress : 0));
    this.latest = { stage, progress: p };
    const now = Date.now();
    if (stage !== this.lastStage || now - this.lastWrite >= this.intervalMs) this.flush(now);
  }

  private flush(now = Date.now()): void {
    const v = this.latest;
    if (!v) return;
    this.latest = null;
    this.lastWrite = now;
    this.lastStage = v.stage;
    this.chain = this.chain.then(() => this.write(v.stage, v.progress)).catch(() => undefined);
  }

  /** Waits for pending writes; later reports are ignored. */
  async close(): Promise<void> {
    this.closed = true;
    await this.chain;
  }
}
