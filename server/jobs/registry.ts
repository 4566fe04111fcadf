/**
 * In-process job registry: jobs run on this server process (no queue); their promises are kept so
 * tests and graceful shutdown can wait for them. A crash loses them — boot's recovery marks such
 * runs failed.
 */
const g = globalThis as unknown as { __tesseraJobs?: Map<string, Promise<void>> };
const jobs = (g.__tesseraJobs ??= new Map());

export function track(id: string, job: Promise<void>): void {
  const p = job.finally(() => {
    if (jobs.get(id) === p) jobs.delete(id);
  });
  jobs.set(id, p);
}

/** Resolves when the job for `id` (if any) has finished. Never rejects. */
export async function waitForJob(id: string): Promise<void> {
  await jobs.get(id)?.catch(() => undefined);
}

export async function waitForAllJobs(): Promise<void> {
  await Promise.all([...jobs.values()].map((p) => p.catch(() => undefined)));
}

export function activeJobIds(): string[] {
  return [...jobs.keys()];
}
