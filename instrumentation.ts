/** Next.js start-up hook: boot the server (migrations, crash recovery, defaults) once per process. */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { ensureBooted } = await import('./server/startup/boot');
  await ensureBooted();
}
