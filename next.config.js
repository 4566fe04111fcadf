/** @type {import('next').NextConfig} */
const nextConfig = {
  // Native / server-only packages stay external to the server bundle.
  serverExternalPackages: ['better-sqlite3', 'pg', '@prisma/adapter-better-sqlite3', '@prisma/adapter-pg'],
  // Large uploads go through the streaming route handler, never through server actions.
  typescript: { ignoreBuildErrors: false },
  poweredByHeader: false,
};
export default nextConfig;
