import { promises as fs } from 'node:fs';
import { basename } from 'node:path';
import type { JobRef, Markers } from '../store/index.js';
import { createLauncher, type Launcher } from './launcher.js';
import { isWrapperPath, jobWrapper } from './scripts.js';
import type { Liveness, Runner, StartOptions } from './types.js';

export { WRAPPER } from './scripts.js';

/** Start time (clock ticks since boot) of a pid, or null if it is gone. Guards against pid reuse. */
async function procStart(pid: number): Promise<string | null> {
  try {
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** Is `pid` a live (non-zombie) jobdir wrapper for job `id`? */
async function isWrapperOf(pid: number, id: string): Promise<boolean> {
  try {
    const [cmd, stat] = await Promise.all([
      fs.readFile(`/proc/${pid}/cmdline`, 'utf8'),
      fs.readFile(`/proc/${pid}/stat`, 'utf8'),
    ]);
    const st = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    const args = cmd.split('\0');
    return st !== 'Z' && args.some(isWrapperPath) && args.some((a) => basename(a) === id);
  } catch {
    return false;
  }
}

/**
 * Pids of every live wrapper on this machine, by job id (one /proc scan). A wrapper is
 * known by its script's file name, whatever its folder and version: jobs started before
 * an upgrade, by the package's wrapper or an older copy, are still found after it.
 */
export async function scanWrappers(): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const name of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const args = (await fs.readFile(`/proc/${name}/cmdline`, 'utf8')).split('\0');
      const i = args.findIndex(isWrapperPath);
      if (i >= 0 && args[i + 1]) out.set(basename(args[i + 1]!), Number(name));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

let lastScan: { at: number; result: Promise<Map<string, number>> } | null = null;

/**
 * scanWrappers, shared by callers while one scan is at most 1 s old and began at or after
 * `notBefore`: a reconcile of 1,000 lost jobs makes one /proc scan (~25 ms), not 1,000. A
 * scan that began before a wrapper was started, or before it was known to have exited,
 * says nothing about it, so such callers get a fresh one.
 */
function wrappersSince(notBefore: number, maxAgeMs = 1000): Promise<Map<string, number>> {
  const now = Date.now();
  if (!lastScan || now - lastScan.at > maxAgeMs || lastScan.at < notBefore)
    lastScan = { at: now, result: scanWrappers() };
  return lastScan.result;
}

/**
 * Runs the wrapper on this machine, detached in its own session and process group (through
 * the sh launcher, which forks far more cheaply than Node), so stopping the backend never
 * stops a job. Liveness (alive means the OS says so): a wrapper this runner's launcher started is alive
 * until the launcher reports its exit; any other is alive while its pid (from RUNNING, or
 * a /proc scan begun after it was started when RUNNING is not written yet) is a live
 * wrapper of this job.
 */
export function localRunner(
  data: string,
  onLost: (dirs: string[]) => void = () => {},
): Runner & { close(): void } {
  /** Made at the first start, for the wrapper copy in the data root (scripts.ts's jobWrapper). */
  let launcher: Launcher | null = null;
  const created = Date.now();
  /** When this runner started each wrapper, kept after a lost launcher (then they are looked for). */
  const startedAt = new Map<string, number>();
  const findPid = async (job: JobRef, m: Markers): Promise<number | null> => {
    for (const pid of [m.running?.pid]) {
      if (pid && (await isWrapperOf(pid, job.id))) return pid;
    }
    return (await wrappersSince(startedAt.get(job.dir) ?? created)).get(job.id) ?? null;
  };
  return {
    kind: 'local',
    async start(job: JobRef, opts: StartOptions) {
      const limit = opts.timeLimitMs === null ? 0 : Math.max(1, Math.ceil(opts.timeLimitMs / 1000));
      const wrapper = await jobWrapper(data);
      if (!launcher) {
        launcher = createLauncher(wrapper);
        launcher.onLost(onLost);
      }
      startedAt.set(job.dir, Date.now());
      launcher.launch(
        job.dir,
        opts.attempt,
        limit,
        Math.max(1, Math.ceil(opts.killGraceMs / 1000)),
        () => {
          // Exited: only a scan begun after this speaks of it (any kept scan has, 2 s on).
          startedAt.set(job.dir, Date.now());
          setTimeout(() => startedAt.delete(job.dir), 2000).unref();
          opts.onExit?.();
        },
      );
    },
    async liveness(job, m): Promise<Liveness> {
      if (launcher?.started(job.dir)) return 'alive';
      const pid = await findPid(job, m);
      if (pid === null) startedAt.delete(job.dir);
      return pid === null ? 'dead' : 'alive';
    },
    async cancel(job, m, graceMs) {
      const pid = await findPid(job, m);
      if (pid === null) return;
      const start = await procStart(pid);
      const signal = (sig: NodeJS.Signals) => {
        try {
          process.kill(-pid, sig);
        } catch {
          /* already gone */
        }
      };
      signal('SIGTERM');
      const deadline = Date.now() + graceMs;
      while (Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        if ((await procStart(pid)) !== start || !(await isWrapperOf(pid, job.id))) return;
      }
      signal('SIGKILL');
    },
    close() {
      launcher?.close();
    },
    async where(job, m) {
      const pid = await findPid(job, m);
      return pid === null
        ? 'local (not running)'
        : `local pid ${pid}${m.running?.host ? ` on ${m.running.host}` : ''}`;
    },
  };
}
