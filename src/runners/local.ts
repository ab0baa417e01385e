import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JobRef, Markers } from '../store/index.js';
import type { Liveness, Runner, StartOptions } from './types.js';

/** Absolute path of the POSIX sh wrapper. */
export const WRAPPER = fileURLToPath(new URL('../../wrapper/jobdir-wrapper.sh', import.meta.url));

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
    const [cmd, stat] = await Promise.all([fs.readFile(`/proc/${pid}/cmdline`, 'utf8'), fs.readFile(`/proc/${pid}/stat`, 'utf8')]);
    const st = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    const args = cmd.split('\0');
    return st !== 'Z' && args.includes(WRAPPER) && args.some((a) => basename(a) === id);
  } catch {
    return false;
  }
}

/** Pids of every live wrapper on this machine, by job id (one /proc scan). */
export async function scanWrappers(): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const name of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const args = (await fs.readFile(`/proc/${name}/cmdline`, 'utf8')).split('\0');
      const i = args.indexOf(WRAPPER);
      if (i >= 0 && args[i + 1]) out.set(basename(args[i + 1]!), Number(name));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/**
 * Runs the wrapper on this machine, detached in its own session and process group, so
 * stopping the backend never stops a job. Liveness: the wrapper's pid (from RUNNING, or
 * a /proc scan when RUNNING is not written yet) is a live wrapper of this job.
 */
export function localRunner(): Runner {
  const pids = new Map<string, number>();
  const findPid = async (job: JobRef, m: Markers): Promise<number | null> => {
    for (const pid of [pids.get(job.id), m.running?.pid]) {
      if (pid && (await isWrapperOf(pid, job.id))) return pid;
    }
    return (await scanWrappers()).get(job.id) ?? null;
  };
  return {
    kind: 'local',
    async start(job: JobRef, opts: StartOptions) {
      const env: NodeJS.ProcessEnv = { ...process.env };
      delete env.JOBDIR_TIME_LIMIT;
      if (opts.timeLimitMs !== null) {
        env.JOBDIR_TIME_LIMIT = String(Math.max(1, Math.ceil(opts.timeLimitMs / 1000)));
        env.JOBDIR_KILL_GRACE = String(Math.max(1, Math.ceil(opts.killGraceMs / 1000)));
      }
      const child = spawn('/bin/sh', [WRAPPER, job.dir, String(opts.attempt)], { detached: true, stdio: 'ignore', env, cwd: job.dir });
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
      pids.set(job.id, child.pid!);
      child.once('exit', () => {
        pids.delete(job.id);
        opts.onExit?.();
      });
      child.unref();
    },
    async liveness(job, m): Promise<Liveness> {
      return (await findPid(job, m)) === null ? 'dead' : 'alive';
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
    async where(job, m) {
      const pid = await findPid(job, m);
      return pid === null ? 'local (not running)' : `local pid ${pid}${m.running?.host ? ` on ${m.running.host}` : ''}`;
    },
  };
}
