#!/usr/bin/env bash
# Installs the Debian 12 packages jobdir's test suite needs, only those missing. Idempotent, quiet.
# Run as root. Waits up to 5 min for the dpkg lock if another apt is running.
# Usage: install-deps.sh            (everything the tests need)
#        install-deps.sh PKG...     (only these, e.g. from start-slurm.sh)
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
PKGS=(slurmctld slurmd slurm-client munge
      gridengine-master gridengine-exec gridengine-client
      chromium util-linux procps coreutils
      clustalo nginx openssl logrotate)
[ $# -gt 0 ] && PKGS=("$@")
APT=(apt-get -o DPkg::Lock::Timeout=300 -o Acquire::Retries=3)
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
missing=()
for p in "${PKGS[@]}"; do installed "$p" || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0
[ "$(id -u)" -eq 0 ] || { echo "install-deps: must run as root to install: ${missing[*]}" >&2; exit 1; }
if printf '%s\n' "${missing[@]}" | grep -q '^gridengine-'; then
  # Non-interactive gridengine setup: cell "default", master "localhost" (see start-sge.sh).
  debconf-set-selections <<'SEL'
gridengine-common shared/gridengineconfig boolean true
gridengine-common shared/gridenginecell string default
gridengine-common shared/gridenginemaster string localhost
SEL
fi
echo "install-deps: installing ${missing[*]}" >&2
log=$(mktemp)
# DPkg::Lock::Timeout makes install wait for dpkg's lock, but `apt-get update` fails at once on
# /var/lib/apt/lists/lock: retry any apt step that lost a lock race, for up to ~5 min.
apt_retry() {
  for _ in $(seq 60); do
    "${APT[@]}" "$@" >>"$log" 2>&1 && return 0
    tail -5 "$log" | grep -qE 'Could not get lock|Unable to lock|Unable to acquire' || return 1
    sleep 5
  done
  return 1
}
if ! apt_retry update -qq || ! apt_retry install -y -qq --no-install-recommends "${missing[@]}"; then
  tail -30 "$log" >&2
  echo "install-deps: FAILED to install: ${missing[*]} (full log: $log)" >&2
  exit 1
fi
rm -f "$log"
still=(); for p in "${missing[@]}"; do installed "$p" || still+=("$p"); done
[ ${#still[@]} -eq 0 ] || { echo "install-deps: FAILED, still missing: ${still[*]}" >&2; exit 1; }
