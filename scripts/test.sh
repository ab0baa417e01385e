#!/usr/bin/env bash
# The one test command (`npm test`): on a fresh Debian machine it installs everything the
# tests need (Debian packages, npm packages), starts a real single-node Slurm and Grid
# Engine, type-checks, runs every test, and stops the daemons it started.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
if [ ! -x node_modules/.bin/tsc ] || [ package.json -nt node_modules/.package-lock.json ]; then
  npm install --no-audit --no-fund --loglevel=error
fi
started=()
cleanup() { for s in "${started[@]}"; do bash "scripts/stop-$s.sh" >/dev/null 2>&1 || true; done; }
trap cleanup EXIT
if [ "${JOBDIR_TEST_CLUSTERS:-1}" = 1 ]; then
  # A daemon that does not start stops the run here (set -e): the cluster tests must run,
  # not skip, under npm test (JOBDIR_REQUIRE_ENGINES makes a missing engine a failure).
  started+=(slurm); bash scripts/start-slurm.sh
  started+=(sge); bash scripts/start-sge.sh
  export JOBDIR_REQUIRE_ENGINES=1
fi
echo "== typecheck"
npx tsc -p tsconfig.json
echo "== tests"
# One test file at a time: several start real daemons, browsers and timed jobs on 2 cores.
node --import tsx --test --test-concurrency=1 --test-timeout=600000 ${JOBDIR_TESTS:-test/*.test.ts}
