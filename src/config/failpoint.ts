/**
 * Crash and race injection for the recovery tests. `JOBDIR_FAILPOINT=NAME[@N]` makes this
 * process SIGKILL itself the Nth time (default 1st) it passes failpoint NAME — a real
 * kill -9 at an exact step (e.g. `move:finalizing>completed:renamed`, between a rename and
 * the by-id link). `JOBDIR_PAUSE=NAME:MS` makes every pass of pausepoint NAME wait MS ms,
 * widening a race window so a test can hit it every time. Unset (always, outside tests)
 * each costs one comparison. Read here because config/ is the only reader of process.env.
 */
const spec = process.env.JOBDIR_FAILPOINT ?? '';
const at = spec.lastIndexOf('@');
const name = at > 0 ? spec.slice(0, at) : spec;
const nth = at > 0 ? Number(spec.slice(at + 1)) || 1 : 1;
let hits = 0;
const pause = /^(.+):(\d+)$/.exec(process.env.JOBDIR_PAUSE ?? '');

/** Die here (SIGKILL, no cleanup) when the failpoint named `point` is armed. */
export function failpoint(point: string): void {
  if (spec === '' || point !== name) return;
  if (++hits === nth) process.kill(process.pid, 'SIGKILL');
}

/** Wait here when JOBDIR_PAUSE names `point` (resolves at once otherwise). */
export function pausepoint(point: string): Promise<void> | void {
  if (pause === null || pause[1] !== point) return;
  return new Promise((r) => setTimeout(r, Number(pause[2])));
}
