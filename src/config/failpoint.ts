/**
 * Crash injection for the recovery tests: `JOBDIR_FAILPOINT=NAME[@N]` makes this process
 * SIGKILL itself the Nth time (default 1st) it passes failpoint NAME — a real kill -9 at an
 * exact step (e.g. `move:finalizing>completed:renamed`, between a rename and the by-id
 * link). Unset (always, outside tests) it costs one comparison. Read here because config/
 * is the only reader of process.env.
 */
const spec = process.env.JOBDIR_FAILPOINT ?? '';
const at = spec.lastIndexOf('@');
const name = at > 0 ? spec.slice(0, at) : spec;
const nth = at > 0 ? Number(spec.slice(at + 1)) || 1 : 1;
let hits = 0;

/** Die here (SIGKILL, no cleanup) when the failpoint named `point` is armed. */
export function failpoint(point: string): void {
  if (spec === '' || point !== name) return;
  if (++hits === nth) process.kill(process.pid, 'SIGKILL');
}
