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
w=$1
# The boot time, read once here: the wrapper's clock is btime + /proc/uptime, and dash's
# read takes /proc/stat a byte at a time (~1,100 read(2) calls to reach btime), which was
# ~0.5 ms of system CPU per job when every wrapper did it.
btime=
if [ -r /proc/stat ]; then
  while read -r k v; do [ "$k" = btime ] && { btime=$v; break; }; done </proc/stat
fi
export JOBDIR_BTIME="$btime"
while IFS=' ' read -r attempt limit grace dir; do
  [ -n "$dir" ] || continue
  [ "$limit" = 0 ] && limit=
  (
    JOBDIR_TIME_LIMIT=$limit JOBDIR_KILL_GRACE=$grace setsid -w /bin/sh "$w" "$dir" "$attempt" </dev/null >/dev/null 2>&1
    echo "$? $dir"
  ) &
done
