#!/usr/bin/env bash
# Starts the workstation on the embedded default: SQLite, local blob store, in-process jobs, the
# demo study seeded. Builds the app when the build is missing or older than the sources.
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1
export PORT="${PORT:-3000}"
[ -d node_modules ] || npm ci --no-audit --no-fund
head=$(git rev-parse HEAD 2>/dev/null || echo none)
dirty=$(git status --porcelain -- app server lib gpu-kernels prisma next.config.js package-lock.json 2>/dev/null | sha256sum | cut -c1-16)
want="$head-$dirty"
if [ ! -f .next/BUILD_ID ] || [ "$(cat .next/.tessera-build 2>/dev/null)" != "$want" ]; then
  node node_modules/next/dist/bin/next build
  echo "$want" > .next/.tessera-build
fi
npx tsx scripts/migrate.ts
npx tsx scripts/seed-demo.ts
echo "Tessera: http://localhost:${PORT}"
exec node node_modules/next/dist/bin/next start -p "$PORT"
