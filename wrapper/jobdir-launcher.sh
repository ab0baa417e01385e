#!/bin/sh
# jobdir launcher: one long-lived sh that starts local wrappers for the backend.
#
#   jobdir-launcher.sh WRAPPER     (reads requests on stdin, reports on stdout)
#
# Node forks its whole (large) process for every child it spawns, ~2-5 ms here; sh forks
# in well under a millisecond. So the backend writes one line per job to this launcher:
#   ATTEMPT LIMIT GRACE JOB_DIR          (LIMIT 0: no time limit)
# and the launcher starts `sh WRAPPER JOB_DIR ATTEMPT` in a session of its own (setsid),
# so stopping or killing the backend never stops a job, and answers, once that wrapper
# has exited:
#   STATUS JOB_DIR
# When the backend goes away (stdin closes) the launcher exits; running wrappers carry on.
# A backend killed on its own may leave request lines in the pipe: they are not started
# (the next backend may have judged those jobs gone and queued them again), so each request
# is started only while the backend that wrote it is alive (kill -0, a builtin: no fork).
# Wrappers inherit its environment, JOBDIR_BTIME included (see src/runners/launcher.ts).
w=$1
backend=$PPID
while IFS=' ' read -r attempt limit grace dir; do
  [ -n "$dir" ] || continue
  kill -0 "$backend" 2>/dev/null || exit 0
  [ "$limit" = 0 ] && limit=
  (
    JOBDIR_TIME_LIMIT=$limit JOBDIR_KILL_GRACE=$grace setsid -w /bin/sh "$w" "$dir" "$attempt" </dev/null >/dev/null 2>&1
    echo "$? $dir"
  ) &
done
