#!/usr/bin/env bash
# Single-node (Son of) Grid Engine 8.1.9 from Debian 12 for jobdir's tests, no systemd. Idempotent. Run as root.
# Prints "sge ready" once the queue all.q@localhost accepts jobs. Stop with scripts/stop-sge.sh.
# Every SGE client (qsub, qstat, qacct, qdel, qconf) needs:
#   export SGE_ROOT=/var/lib/gridengine SGE_CELL=default
set -euo pipefail
export SGE_ROOT=/var/lib/gridengine SGE_CELL=default
HERE=$(cd "$(dirname "$0")" && pwd)
C=$SGE_ROOT/$SGE_CELL/common
if ! command -v qsub >/dev/null || [ ! -x /usr/lib/gridengine/sge_execd ] || [ ! -x /usr/lib/gridengine/sge_qmaster ] || [ ! -d "$C" ]; then
  "$HERE/install-deps.sh" gridengine-master gridengine-exec gridengine-client   # preseeds debconf: cell "default", master "localhost"
fi
QM_PID=/var/spool/gridengine/qmaster/qmaster.pid
EX_PID=/var/run/gridengine/execd.pid
# alive PIDFILE NAME: the pid in PIDFILE runs and is NAME (guards against stale files / reused pids)
alive() { local p; p=$(cat "$1" 2>/dev/null) && [ -n "$p" ] && [ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$2" ]; }
# SGE insists that gethostname() and the reverse lookup of the peer IP agree; on loopback
# 127.0.0.1 reverse-resolves to "localhost", so alias the real hostname to it.
H=$(hostname)
if [ "$H" != localhost ] && ! grep -qx "localhost $H" "$C/host_aliases" 2>/dev/null; then
  echo "localhost $H" > "$C/host_aliases"
  for d in "$EX_PID sge_execd" "$QM_PID sge_qmaster"; do   # running daemons must restart to re-read it
    set -- $d; alive "$1" "$2" && { p=$(cat "$1"); kill "$p"; while kill -0 "$p" 2>/dev/null; do sleep 0.2; done; }
  done
fi
echo localhost > "$C/act_qmaster"
mkdir -p /var/run/gridengine && chown sgeadmin:sgeadmin /var/run/gridengine
# quiet: run "$@", show its output only if it fails
q() { local out; out=$("$@" 2>&1) || { printf '%s\n' "$out" >&2; return 1; }; }
alive $QM_PID sge_qmaster || /usr/sbin/sge_qmaster
for _ in $(seq 150); do qconf -sh >/dev/null 2>&1 && break; sleep 0.1; done
qconf -sh >/dev/null 2>&1 || { echo "sge_qmaster did not start" >&2; tail -20 /var/spool/gridengine/qmaster/messages >&2; exit 1; }
# --- configuration; every step is a no-op if already done ---
qconf -sh | grep -qx localhost || q qconf -ah localhost   # admin host
qconf -ss 2>/dev/null | grep -qx localhost || q qconf -as localhost    # submit host
if ! qconf -se localhost >/dev/null 2>&1; then
  f=$(mktemp); printf 'hostname localhost\nload_scaling NONE\ncomplex_values NONE\nuser_lists NONE\nxuser_lists NONE\nprojects NONE\nxprojects NONE\nusage_scaling NONE\nreport_variables NONE\n' >"$f"
  q qconf -Ae "$f"; rm -f "$f"
fi
if ! qconf -sq all.q >/dev/null 2>&1; then   # one queue, one slot per core, no "smp" PE (not defined here)
  ed=$(mktemp); printf '#!/bin/sh\nsed -i -e "s/^hostlist .*/hostlist localhost/" -e "s/^pe_list .*/pe_list NONE/" -e "s/^slots .*/slots %s/" "$1"\n' "$(nproc)" >"$ed"; chmod +x "$ed"
  EDITOR=$ed q qconf -aq all.q; rm -f "$ed"
fi
# no load alarm: on a busy 2-core test machine np_load_avg>1.75 would stop all scheduling
qconf -sq all.q | grep -Eq '^load_thresholds +NONE$' || q qconf -rattr queue load_thresholds NONE all.q
d=$(mktemp -d)
# allow root jobs; write accounting every 1 s (qacct sees a job seconds after it ends)
qconf -sconf | sed -e 's/^min_uid .*/min_uid 0/' -e 's/^min_gid .*/min_gid 0/' -e 's/flush_time=[0-9:]*/flush_time=00:00:01/' >"$d/global"
qconf -sconf | cmp -s - "$d/global" || q qconf -Mconf "$d/global"
# schedule every second
qconf -ssconf | sed -e 's/^schedule_interval .*/schedule_interval 0:0:1/' -e 's/^flush_submit_sec .*/flush_submit_sec 1/' -e 's/^flush_finish_sec .*/flush_finish_sec 1/' >"$d/sched"
qconf -ssconf | cmp -s - "$d/sched" || q qconf -Msconf "$d/sched"
rm -rf "$d"
alive $EX_PID sge_execd || SGE_EXECD_PIDFILE=$EX_PID /usr/sbin/sge_execd
for _ in $(seq 150); do
  qstat -f -q all.q 2>/dev/null | grep -E '^all\.q@' | grep -qvE ' (au|u|E|d)\s*$' && { echo "sge ready"; exit 0; }
  sleep 0.2
done
echo "sge did not become ready" >&2; qstat -f >&2 || true; tail -20 /var/spool/gridengine/qmaster/messages >&2; exit 1
