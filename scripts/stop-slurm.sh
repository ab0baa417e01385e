#!/usr/bin/env bash
# Stops what scripts/start-slurm.sh started, by pid, and waits for each to exit. Idempotent.
# Running jobs are cancelled first so that no slurmstepd / job processes outlive the daemons.
STATE=${JOBDIR_SLURM_STATE:-/tmp/jobdir-slurm}
# alive PIDFILE NAME: the pid in PIDFILE runs and is NAME (guards against stale files / reused pids)
alive() { local p; p=$(cat "$1" 2>/dev/null) && [ -n "$p" ] && [ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$2" ]; }
if alive "$STATE/slurmctld.pid" slurmctld && alive "$STATE/slurmd.pid" slurmd &&
   [ -n "$(timeout 5 squeue -h -t PD,R,CG,S -o %i 2>/dev/null)" ]; then
  timeout 5 scancel --full --state=R 2>/dev/null; timeout 5 scancel --state=PD 2>/dev/null
  for _ in $(seq 50); do [ -z "$(timeout 5 squeue -h -t R,CG -o %i 2>/dev/null)" ] && break; sleep 0.2; done
fi
# SIGTERM slurmd and slurmctld together (each takes ~2 s), then munged; wait for each by pid.
stop_all() {  # stop_all PIDFILE NAME [PIDFILE NAME ...]
  local p pids=()
  while [ $# -ge 2 ]; do
    if alive "$1" "$2"; then p=$(cat "$1"); kill "$p" 2>/dev/null && pids+=("$p"); fi
    rm -f "$1"; shift 2
  done
  for p in "${pids[@]}"; do
    for _ in $(seq 150); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
    kill -0 "$p" 2>/dev/null && kill -9 "$p" 2>/dev/null
  done
  return 0
}
stop_all "$STATE/slurmd.pid" slurmd "$STATE/slurmctld.pid" slurmctld
stop_all "$STATE/munge/munged.pid" munged
exit 0
