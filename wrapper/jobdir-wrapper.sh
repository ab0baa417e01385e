#!/bin/sh
# jobdir wrapper: runs one job's program in its job directory and leaves a marker.
#
#   jobdir-wrapper.sh JOB_DIR [ATTEMPT]
#
# POSIX sh + coreutils only: the same script is the cluster job script, and cluster nodes
# have no Node. The program's argv is read as data from JOB_DIR/argv (one argument per
# line; a line holding a backslash is decoded like printf %b: \\ and \n) -- user input is
# never parsed by a shell. Markers (written in place, see below):
#   RUNNING  pid, host, started, attempt    (when the program starts)
#   SUCCESS  exit=0                         (program exited 0)
#   ERROR    exit=N | signal=NAME [reason=time_limit]
# The markers' mtimes are the precise start and end times. stdout/stderr go to
# stdout.txt/stderr.txt. Optional environment: JOBDIR_TIME_LIMIT and JOBDIR_KILL_GRACE
# (seconds): TERM at the limit, KILL after the grace; JOBDIR_BTIME (the boot time, so the
# wrapper need not read /proc/stat). The program sees JOBDIR_JOB_DIR,
# JOBDIR_JOB_ID and JOBDIR_PROGRESS (the file to write progress to).
# Array jobs (JOBDIR_ARRAY_TASKS=N, set by the cluster runners): the task number comes from
# SLURM_ARRAY_TASK_ID or SGE_TASK_ID and the program sees it as JOBDIR_TASK_ID; the task
# writes stdout.T.txt, stderr.T.txt and SUCCESS.T or ERROR.T, and the task that finds every
# task's marker present writes the job's SUCCESS, or ERROR (reason=tasks_failed) plus a
# one-line stderr.txt naming the failed tasks. RUNNING is shared (the last task to start).
# Markers are written in place by one write(2) of under 100 bytes, and every marker ends
# with a newline: readers take a marker that is empty or lacks its final newline as not
# there yet (a wrapper killed mid-write leaves no marker, as before it). A temp file + mv
# cost two fork+exec of coreutils mv per job, ~4.5 of the 8.6 core-ms the wrapper path
# took per job here; only the array job's own marker, which two tasks may race to write,
# still goes through mv. Forks: the program only (plus timeout when a limit is set). fsync
# of the markers and outputs is left to the backend, which makes them durable before
# acting on them.

cd "$1" || exit 111
JOBDIR_JOB_DIR=$PWD
JOBDIR_JOB_ID=${PWD##*/}
JOBDIR_PROGRESS=$PWD/PROGRESS
export JOBDIR_JOB_DIR JOBDIR_JOB_ID JOBDIR_PROGRESS
attempt=${2:-1}
task= sfx= out=stdout.txt err=stderr.txt
if [ -n "${JOBDIR_ARRAY_TASKS:-}" ]; then
  task=${SLURM_ARRAY_TASK_ID:-${SGE_TASK_ID:-}}
  [ "$task" = undefined ] && task=
  if [ -n "$task" ]; then
    JOBDIR_TASK_ID=$task; export JOBDIR_TASK_ID
    sfx=.$task out=stdout.$task.txt err=stderr.$task.txt
  fi
fi

# Clock without a fork: boot time (JOBDIR_BTIME, which the backend hands to local wrappers,
# else read from /proc/stat) plus uptime.
btime=${JOBDIR_BTIME:-0}
case $btime in '' | *[!0-9]*) btime=0 ;; esac
if [ "$btime" = 0 ] && [ -r /proc/stat ]; then
  while read -r k v; do [ "$k" = btime ] && { btime=$v; break; }; done </proc/stat
fi
now() {
  if [ "$btime" != 0 ] && read -r up _ </proc/uptime; then
    now_s=$((btime + ${up%.*})).${up#*.}
  else
    now_s=$(date +%s)
  fi
}
host=
[ -r /proc/sys/kernel/hostname ] && read -r host </proc/sys/kernel/hostname
[ -n "$host" ] || host=$(uname -n)

mark() { # mark NAME TEXT: TEXT (ending in a newline) to NAME in one write, no fork
  printf '%s' "$2" >"$1"
}
mark_shared() { # the same through a temp name + mv, for a marker several tasks may write
  printf '%s' "$2" >".$1.tmp$sfx" && mv -f ".$1.tmp$sfx" "$1"
}

set --
while IFS= read -r a || [ -n "$a" ]; do
  case $a in *\\*) a=$(printf '%bx' "$a"); a=${a%x} ;; esac
  set -- "$@" "$a"
done <argv
[ $# -gt 0 ] || { mark "ERROR$sfx" "exit=127
reason=empty_argv
"; exit 1; }

now; t0=${now_s%.*}
mark RUNNING "pid=$$
host=$host
started=$now_s
attempt=$attempt
"
# A stop asked for before RUNNING (with its pid) was there to be read found nobody to
# signal: it writes CANCEL first, then looks for the pid; we write RUNNING first, then look
# for CANCEL, so one of the two always sees the other.
if [ -e CANCEL ]; then
  mark "ERROR$sfx" "signal=TERM
reason=cancelled
ended=$now_s
"
  exit 0
fi

limit=${JOBDIR_TIME_LIMIT:-}
if [ -n "$limit" ]; then
  timeout -k "${JOBDIR_KILL_GRACE:-10}" "$limit" "$@" </dev/null >"$out" 2>"$err" &
else
  "$@" </dev/null >"$out" 2>"$err" &
fi
child=$!
trap 'kill -TERM "$child" 2>/dev/null' TERM INT HUP
wait "$child"; rc=$?
while kill -0 "$child" 2>/dev/null; do wait "$child"; rc=$?; done

now
extra=
if [ -n "$limit" ] && { [ "$rc" = 124 ] || { [ "$rc" = 137 ] && [ $((${now_s%.*} - t0)) -ge "$limit" ]; }; }; then
  extra="reason=time_limit
"
fi
if [ "$rc" = 0 ]; then
  mark "SUCCESS$sfx" "exit=0
ended=$now_s
"
elif [ "$rc" -gt 128 ] && [ -z "$extra" ]; then
  mark "ERROR$sfx" "signal=$(kill -l $((rc - 128)))
ended=$now_s
"
else
  mark "ERROR$sfx" "exit=$rc
ended=$now_s
$extra"
fi

# Array task: the one that sees every task's marker writes the job's own marker.
[ -n "$task" ] || exit 0
i=1 failed=
while [ "$i" -le "$JOBDIR_ARRAY_TASKS" ]; do
  if [ -e "ERROR.$i" ]; then failed="$failed $i"; elif [ ! -e "SUCCESS.$i" ]; then exit 0; fi
  i=$((i + 1))
done
if [ -z "$failed" ]; then
  mark_shared SUCCESS "exit=0
tasks=$JOBDIR_ARRAY_TASKS
ended=$now_s
"
else
  printf 'array tasks failed:%s of %s (see stderr.N.txt)\n' "$failed" "$JOBDIR_ARRAY_TASKS" >stderr.txt
  mark_shared ERROR "exit=1
reason=tasks_failed
failed_tasks=${failed# }
ended=$now_s
"
fi
