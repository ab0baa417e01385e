import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { childEnv } from '../config/env.js';
import { LAUNCHER } from './scripts.js';

export { LAUNCHER };

/**
 * The boot time (seconds since the epoch) from /proc/stat, '' when unknown. The wrapper's
 * clock is this + /proc/uptime; handed to every local wrapper, because dash's read takes
 * /proc/stat a byte at a time: ~1,100 read(2) calls per wrapper to reach btime, ~0.5-0.9 ms
 * of system CPU per job here. A wrapper without it (cluster nodes) reads it itself.
 */
function bootTime(): string {
  try {
    return /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1] ?? '';
  } catch {
    return '';
  }
}

/** Starts wrappers through one long-lived sh; see wrapper/jobdir-launcher.sh. */
export interface Launcher {
  /** Start the wrapper for `dir`; `onExit` runs when it has exited. */
  launch(
    dir: string,
    attempt: number,
    limitSec: number,
    graceSec: number,
    onExit: () => void,
  ): void;
  /** Called with every job dir whose exit report was lost because the launcher died. */
  onLost(fn: (dirs: string[]) => void): void;
  /** True while the wrapper for `dir` was started here and its exit has not been reported. */
  started(dir: string): boolean;
  close(): void;
}

/**
 * A launcher for `wrapper`. If the sh dies (someone killed it), it is restarted on the
 * next launch and the jobs it had started are handed to `onLost`, so the backend polls
 * them instead of waiting for a report that will never come.
 */
export function createLauncher(wrapper: string): Launcher {
  let sh: ChildProcessWithoutNullStreams | null = null;
  const waiting = new Map<string, () => void>();
  let lost: (dirs: string[]) => void = () => {};
  const start = () => {
    const child = spawn('/bin/sh', [LAUNCHER, wrapper], {
      stdio: ['pipe', 'pipe', 'ignore'],
      env: childEnv({ JOBDIR_BTIME: bootTime() }),
    }) as unknown as ChildProcessWithoutNullStreams;
    let buf = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const dir = line.slice(line.indexOf(' ') + 1);
        const cb = waiting.get(dir);
        waiting.delete(dir);
        cb?.();
      }
    });
    child.stdin.on('error', () => {});
    child.once('exit', () => {
      if (sh === child) sh = null;
      const orphans = [...waiting.keys()];
      waiting.clear();
      if (orphans.length) lost(orphans);
    });
    child.unref();
    (child.stdout as unknown as { unref?: () => void }).unref?.();
    (child.stdin as unknown as { unref?: () => void }).unref?.();
    return child;
  };
  return {
    launch(dir, attempt, limitSec, graceSec, onExit) {
      if (/[\r\n]/.test(dir))
        throw new Error(`job folder ${JSON.stringify(dir)} contains a line break`);
      sh ??= start();
      waiting.set(dir, onExit);
      sh.stdin.write(`${attempt} ${limitSec} ${graceSec} ${dir}\n`);
    },
    onLost(fn) {
      lost = fn;
    },
    started: (dir) => waiting.has(dir),
    close() {
      sh?.stdin.end();
      sh = null;
    },
  };
}
