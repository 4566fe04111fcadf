#!/usr/bin/env bash
# Runs every test: typecheck, unit + integration (vitest, SQLite and a real PostgreSQL), the
# production build, and the browser tests (Playwright on Debian's Chromium). Starts the services
# the tests use. Prints each stage's time.
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1

t0=$(date +%s)
stage() { local name=$1; shift; local s; s=$(date +%s); echo "==> $name"; "$@"; echo "<== $name: $(( $(date +%s) - s )) s"; }

start_postgres() {
  local ver; ver=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)
  [ -n "$ver" ] || { echo "PostgreSQL is not installed: run 'npm run setup:test' first" >&2; return 1; }
  pg_ctlcluster "$ver" main status >/dev/null 2>&1 || pg_ctlcluster "$ver" main start
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 && break; sleep 1; done
  su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='tessera'\"" | grep -q 1 \
    || su postgres -c "psql -qc \"CREATE ROLE tessera LOGIN PASSWORD 'tessera' CREATEDB\""
  su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='tessera_test'\"" | grep -q 1 \
    || su postgres -c "createdb -O tessera tessera_test"
  export TEST_DATABASE_URL_PG="postgresql://tessera:tessera@127.0.0.1:5432/tessera_test"
}

stage "postgres" start_postgres
stage "typecheck" npx tsc --noEmit -p .
stage "unit+integration (vitest)" npx vitest run
stage "next build" node node_modules/next/dist/bin/next build
stage "browser (playwright)" npx playwright test
echo "all stages: $(( $(date +%s) - t0 )) s"
