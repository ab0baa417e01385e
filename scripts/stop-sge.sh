#!/usr/bin/env bash
# Stops sge_execd and sge_qmaster started by scripts/start-sge.sh, by pid, and waits (qmaster takes a few s).
# Jobs still queued or running are deleted first so no job processes outlive the daemons. Idempotent.
export SGE_ROOT=/var/lib/gridengine SGE_CELL=default
QM_PID=/var/spool/gridengine/qmaster/qmaster.pid
EX_PID=/var/run/gridengine/execd.pid
# alive PIDFILE NAME: the pid in PIDFILE runs and is NAME (guards against stale files / reused pids)
alive() { local p; p=$(cat "$1" 2>/dev/null) && [ -n "$p" ] && [ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$2" ]; }
if alive $QM_PID sge_qmaster && [ -n "$(timeout 5 qstat -u '*' 2>/dev/null)" ]; then
  timeout 10 qdel -u '*' >/dev/null 2>&1
  for _ in $(seq 50); do [ -z "$(timeout 5 qstat -u '*' 2>/dev/null)" ] && break; sleep 0.2; done
fi
# SIGTERM execd, wait, then qmaster (stopping both at once makes qmaster take ~10 s instead of ~4 s).
for d in "$EX_PID sge_execd" "$QM_PID sge_qmaster"; do
  set -- $d; alive "$1" "$2" || continue
  p=$(cat "$1"); kill "$p" 2>/dev/null || continue
  for _ in $(seq 300); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
  kill -0 "$p" 2>/dev/null && kill -9 "$p" 2>/dev/null
done
exit 0
