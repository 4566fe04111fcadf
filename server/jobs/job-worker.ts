/**
 * A long-lived worker thread that runs numbered jobs one at a time (the GPU segmentation worker and
 * the model worker). The state lives on globalThis under `key`, so one worker serves the process
 * across module reloads (Next dev). The worker is unref'd while idle (it never keeps the process
 * alive) and ref'd while a job is in flight; when it errors or exits, every pending job rejects and
 * the next job starts a fresh worker.
 *
 * Messages from the worker carry the job's `id`; the spec's `onMessage` handles the job's own
 * messages (progress, device, …) and returns its outcome once it ends.
 */
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { TesseraError, type ErrorCode } from '@/lib/errors';

/** The project root: where package.json, lib/ and server/ live (Next runs from it). */
export function projectRoot(): string {
  return process.env.TESSERA_ROOT ?? process.cwd();
}

/**
 * `worker_threads` through process.getBuiltinModule: a static `new Worker(path)` makes Turbopack try
 * to bundle the worker file (and tsx) at build time; the workers are runtime files of the project.
 */
export function workerThreads(): typeof import('node:worker_threads') {
  return process.getBuiltinModule('node:worker_threads') as typeof import('node:worker_threads');
}

/** An error as a worker posts it (a TesseraError keeps its code, where and hint). */
export interface WireError {
  code?: ErrorCode;
  message: string;
  where?: string;
  hint?: string;
}

/** The posted error as a TesseraError when it had a code, else a plain Error. */
export function fromWireError(err: WireError): Error {
  return err.code ? new TesseraError(err.code, err.message, { where: err.where, hint: err.hint }) : new Error(err.message);
}

/** A job waiting for its result. */
export interface PendingJob<R> {
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

/** How a job ended. */
export type JobOutcome<R> = { result: R } | { error: Error };

export interface JobWorkerSpec<R, M extends { id: number }, P extends PendingJob<R>> {
  /** globalThis property holding the worker's state. */
  key: string;
  /** The worker script, relative to the project root. */
  script: string;
  /** Module paths (relative to the project root) passed as workerData, besides `tsconfig`. */
  modules: Record<string, string>;
  /** Names the worker in "… exited with code N". */
  name: string;
  /** Called before the worker starts (e.g. the Vulkan ICD choice, read by the loader in this thread). */
  beforeStart?: () => void;
  /** Handles a message of job `p`: undefined while the job goes on, its outcome when it ends. */
  onMessage: (m: M, p: P) => JobOutcome<R> | undefined;
}

interface State<P> {
  worker: Worker;
  pending: Map<number, P>;
  nextId: number;
}

export class JobWorker<R, M extends { id: number }, P extends PendingJob<R>> {
  constructor(private readonly spec: JobWorkerSpec<R, M, P>) {}

  private get slot(): { [key: string]: State<P> | null | undefined } {
    return globalThis as unknown as { [key: string]: State<P> | null | undefined };
  }

  private state(): State<P> {
    const existing = this.slot[this.spec.key];
    if (existing) return existing;
    this.spec.beforeStart?.();
    const root = projectRoot();
    // Runtime files of the project, never part of the bundle: the paths are not for Turbopack to trace.
    const workerData: Record<string, string> = { tsconfig: path.join(root, 'tsconfig.json') };
    for (const [k, rel] of Object.entries(this.spec.modules)) workerData[k] = path.join(/*turbopackIgnore: true*/ root, rel);
    const { Worker: WorkerThread } = workerThreads();
    const worker = new WorkerThread(path.join(/*turbopackIgnore: true*/ root, this.spec.script), { workerData });
    const state: State<P> = { worker, pending: new Map(), nextId: 1 };
    worker.unref(); // an idle worker never keeps the process alive
    const fail = (e: unknown) => {
      if (this.slot[this.spec.key] === state) this.slot[this.spec.key] = null;
      for (const p of state.pending.values()) p.reject(e);
      state.pending.clear();
    };
    worker.on('message', (m: M) => {
      const p = state.pending.get(m.id);
      if (!p) return;
      const outcome = this.spec.onMessage(m, p);
      if (!outcome) return;
      state.pending.delete(m.id);
      if (state.pending.size === 0) worker.unref();
      if ('result' in outcome) p.resolve(outcome.result);
      else p.reject(outcome.error);
    });
    worker.on('error', (e) => fail(e));
    worker.on('exit', (code) => fail(new Error(`${this.spec.name} exited with code ${code}`)));
    this.slot[this.spec.key] = state;
    return state;
  }

  /**
   * Posts `{ type: 'job', id, ...job }` and resolves with the job's result. `handlers` are the
   * job's callbacks besides resolve/reject (progress, device).
   */
  run(job: Record<string, unknown>, handlers: Omit<P, keyof PendingJob<R>>): Promise<R> {
    const state = this.state();
    const id = state.nextId++;
    return new Promise<R>((resolve, reject) => {
      state.pending.set(id, { ...handlers, resolve, reject } as P);
      state.worker.ref(); // keep the process alive while a job is in flight
      state.worker.postMessage({ type: 'job', id, ...job });
    });
  }

  /** Stops the worker (tests, graceful shutdown). Pending jobs reject. */
  async stop(): Promise<void> {
    const s = this.slot[this.spec.key];
    if (!s) return;
    this.slot[this.spec.key] = null;
    await s.worker.terminate();
  }
}
