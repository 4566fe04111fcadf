/** @type {import('next').NextConfig} */
const nextConfig = {
  // Native / server-only packages stay external to the server bundle.
  serverExternalPackages: ['better-sqlite3', 'pg', '@prisma/adapter-better-sqlite3', '@prisma/adapter-pg', 'webgpu', 'onnxruntime-node'],
  // Types are checked once, over the whole repo (tests, CLI and scripts too), by the typecheck
  // stage of `npm test` (tsc --noEmit); the build does not check them a second time.
  typescript: { ignoreBuildErrors: true },
  poweredByHeader: false,
};
export default nextConfig;
