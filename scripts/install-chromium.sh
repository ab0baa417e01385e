#!/usr/bin/env bash
# Ensures Debian's /usr/bin/chromium (drive it with npm playwright-core, executablePath '/usr/bin/chromium').
# Never `npx playwright install`: it downloads a browser from a host that is not reachable here. Idempotent.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
[ -x /usr/bin/chromium ] || "$HERE/install-deps.sh" chromium
[ -x /usr/bin/chromium ] || { echo "install-chromium: /usr/bin/chromium still missing after apt-get install" >&2; exit 1; }
