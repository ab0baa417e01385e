#!/usr/bin/env bash
# Single-node Slurm (Debian 12: 22.05) on localhost for jobdir's tests, no systemd. Idempotent. Run as root.
# State, logs and pid files under ${JOBDIR_SLURM_STATE:-/tmp/jobdir-slurm}; config in /etc/slurm/slurm.conf.
# Prints "slurm ready" once the node accepts jobs. Stop with scripts/stop-slurm.sh.
set -euo pipefail
STATE=${JOBDIR_SLURM_STATE:-/tmp/jobdir-slurm}
HERE=$(cd "$(dirname "$0")" && pwd)
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  "$HERE/install-deps.sh" slurmctld slurmd slurm-client munge
fi
mkdir -p "$STATE"/{ctld,d,log,munge} /etc/slurm
chown slurm:slurm "$STATE/ctld" "$STATE/log"
chown munge:munge "$STATE/munge"
# alive PIDFILE NAME: the pid in PIDFILE runs and is NAME (guards against stale files / reused pids)
alive() { local p; p=$(cat "$1" 2>/dev/null) && [ -n "$p" ] && [ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$2" ]; }
stop_pidfile() {  # stop_pidfile FILE NAME: SIGTERM the pid in FILE (if it is NAME), wait up to 10 s
  alive "$1" "$2" || return 0; local p; p=$(cat "$1")
  kill "$p" 2>/dev/null || return 0
  for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$p" 2>/dev/null || true
}
CPUS=$(nproc)
MEM=$(( $(awk '/MemTotal/{print int($2/1024)}' /proc/meminfo) - 512 ))
[ "$MEM" -ge 256 ] || MEM=256
NEW=$(mktemp)
cat > "$NEW" <<CONF
# Written by jobdir scripts/start-slurm.sh
ClusterName=jobdirtest
SlurmctldHost=localhost
SlurmUser=slurm
SlurmctldPort=6817
SlurmdPort=6818
AuthType=auth/munge
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/d
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
# no cgroups: track job processes via /proc
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
# no slurmdbd: finished jobs are read with 'sacct -c' from the jobcomp file
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$STATE/log/jobcomp.txt
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
# finished jobs stay visible in squeue/scontrol for 300 s
MinJobAge=300
# time limits: SIGTERM at the limit (checked every ~30 s by slurmctld), SIGKILL KillWait s later
KillWait=5
OverTimeLimit=0
MpiDefault=none
MailProg=/bin/true
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
CONF=/etc/slurm/slurm.conf
if ! cmp -s "$NEW" "$CONF"; then
  # Config changed: stop daemons started with the old one (pid files named in the old conf).
  if [ -f "$CONF" ]; then
    f=$(sed -n "s/^SlurmdPidFile=//p" "$CONF"); [ -n "$f" ] && stop_pidfile "$f" slurmd
    f=$(sed -n "s/^SlurmctldPidFile=//p" "$CONF"); [ -n "$f" ] && stop_pidfile "$f" slurmctld
  fi
  cp "$NEW" "$CONF"; chmod 644 "$CONF"
fi
rm -f "$NEW"
# munge: Debian's postinst creates the key; create one if missing.
if [ ! -s /etc/munge/munge.key ]; then
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
  chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key
fi
mkdir -p /run/munge && chown munge:munge /run/munge && chmod 755 /run/munge
if ! munge -n </dev/null >/dev/null 2>&1; then   # reuse a munged that already answers
  rm -f /run/munge/munge.socket.2*
  runuser -u munge -- /usr/sbin/munged --pid-file="$STATE/munge/munged.pid"
  for _ in $(seq 50); do munge -n </dev/null >/dev/null 2>&1 && break; sleep 0.1; done
fi
munge -n </dev/null >/dev/null 2>&1 || { echo "munged did not start" >&2; exit 1; }
alive "$STATE/slurmctld.pid" slurmctld || /usr/sbin/slurmctld      # daemonizes itself, drops to SlurmUser
since=1970-01-01T00:00:00
if ! alive "$STATE/slurmd.pid" slurmd; then since=$(date +%Y-%m-%dT%H:%M:%S); /usr/sbin/slurmd -N localhost; fi
# Ready = node usable AND this slurmd has registered (slurmctld restores a saved "idle" before that).
for _ in $(seq 150); do
  if sinfo -h -N -o '%t' 2>/dev/null | grep -Eq '^(idle|mix|alloc)'; then
    st=$(scontrol show node localhost 2>/dev/null | sed -n 's/.*SlurmdStartTime=\([^ ]*\).*/\1/p')
    [[ "$st" > "$since" || "$st" == "$since" ]] && { echo "slurm ready"; exit 0; }
  fi
  sleep 0.2
done
echo "slurm did not become ready" >&2; sinfo -N >&2 || true; tail -20 "$STATE/log/"*.log >&2; exit 1
