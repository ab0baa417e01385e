/**
 * One backend at a time: an flock(2) on the state file, released by the kernel when the
 * holder dies (even by kill -9), and what the state file says (pid, state, a fatal error).
 *
 * Node has no flock, so the lock is held by a child `flock -n STATEFILE sh -c 'echo; read x'`
 * (util-linux) whose stdin is a pipe from this process: when this process dies the pipe
 * reaches EOF, `read` returns, the child exits and the kernel drops the lock. The file is
 * rewritten in place (never renamed) so the locked inode stays the state file. A state
 * file left by a dead backend is no obstacle; one that records a fatal error locks the
 * backend out until the admin removes it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { constants, promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { ConflictError, UnavailableError } from '../errors.js';

/** What the state file records. */
export interface BackendState {
  /** running: a backend holds the lock; stopped: it stopped cleanly; failed: fatal error (lockout). */
  state: 'running' | 'stopped' | 'failed';
  pid: number;
  host: string;
  /** Who holds or held it: `backend` or an admin command (e.g. `restart-unfinished`). */
  role: string;
  /** When this state was written (ISO). */
  at: string;
  /** The fatal error, when state is failed. */
  error?: string;
}

/** Parse the state file's `key=value` lines (null when empty or absent). */
export async function readStateFile(path: string): Promise<BackendState | null> {
  const text = await fs.readFile(path, 'utf8').catch(() => '');
  const f: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0)
      f[line.slice(0, eq)] = line
        .slice(eq + 1)
        .replace(/\\n/g, '\n')
        .replace(/\\\\/g, '\\');
  }
  if (!f.state) return null;
  return {
    state: f.state === 'failed' ? 'failed' : f.state === 'running' ? 'running' : 'stopped',
    pid: Number(f.pid) || 0,
    host: f.host ?? '',
    role: f.role ?? 'backend',
    at: f.at ?? '',
    ...(f.error ? { error: f.error } : {}),
  };
}

async function writeInPlace(path: string, s: BackendState): Promise<void> {
  const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/\r?\n/g, '\\n');
  const text =
    [
      `state=${s.state}`,
      `pid=${s.pid}`,
      `host=${esc(s.host)}`,
      `role=${esc(s.role)}`,
      `at=${s.at}`,
      ...(s.error ? [`error=${esc(s.error)}`] : []),
    ].join('\n') + '\n';
  const fh = await fs.open(
    path,
    constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW,
    0o666, // less the umask
  );
  try {
    await fh.truncate(0);
    await fh.write(text, 0);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Is the state file's lock held by some process? (/proc/locks; a probe with flock -n where unreadable.) */
export async function isLocked(path: string): Promise<boolean> {
  const st = await fs.stat(path).catch(() => null);
  if (!st) return false;
  const locks = await fs.readFile('/proc/locks', 'utf8').catch(() => null);
  if (locks !== null) {
    const major = Math.floor(st.dev / 256) & 0xfff;
    const minor = (st.dev & 0xff) | (Math.floor(st.dev / 4096) & 0xfff00);
    const want = `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}:${st.ino}`;
    return locks.split('\n').some((l) => /\bFLOCK\b/.test(l) && l.split(/\s+/).includes(want));
  }
  return spawnSync('flock', ['-n', '-E', '75', path, 'true']).status === 75;
}

/** What `status` reports. */
export interface BackendStatus {
  running: boolean;
  /** The recorded state (null: no state file). */
  recorded: BackendState | null;
  /** A recorded fatal error that locks the backend out. */
  lockedOut: boolean;
}

/** Is a backend running (the lock is held), and what does the state file say? */
export async function backendStatus(path: string): Promise<BackendStatus> {
  const running = await isLocked(path);
  const recorded = await readStateFile(path);
  return { running, recorded, lockedOut: !running && recorded?.state === 'failed' };
}

/** The message for a recorded fatal error, naming the file to remove. */
export function lockoutMessage(path: string, s: BackendState): string {
  return (
    `The backend is locked out: it stopped after an unrecoverable error at ${s.at || 'an unknown time'}` +
    `${s.pid ? ` (pid ${s.pid}${s.host ? ` on ${s.host}` : ''})` : ''}:\n  ${(s.error ?? 'unknown error').split('\n').join('\n  ')}\n` +
    `Fix the cause, then remove ${path} to let the backend start again.`
  );
}

/** A held state-file lock. */
export interface StateLock {
  readonly path: string;
  /** Record an unrecoverable error: the backend will refuse to start until the file is removed. */
  recordFatal(error: string): Promise<void>;
  /** Record a clean stop (unless a fatal error was recorded) and release the lock. */
  release(): Promise<void>;
}

/**
 * Take the state-file lock for `role`. Throws ConflictError naming the holder's pid when
 * another backend (or admin command) holds it, and UnavailableError with the error when
 * a fatal error is recorded (the lock is released again first).
 */
export async function acquireStateLock(path: string, role = 'backend'): Promise<StateLock> {
  await fs.mkdir(dirname(path), { recursive: true });
  await fs.writeFile(path, '', { flag: 'a' });
  const child = spawn('flock', ['-n', '-E', '75', path, 'sh', '-c', 'echo locked; read x'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const got = await new Promise<'locked' | 'busy' | Error>((resolve) => {
    let err = '';
    child.stdout!.once('data', () => resolve('locked'));
    child.stderr!.on('data', (d: Buffer) => void (err += d.toString()));
    child.once('error', (e) =>
      resolve(
        new Error(`cannot run flock (util-linux) to lock ${path}: ${e.message}`, { cause: e }),
      ),
    );
    child.once('exit', (code) =>
      resolve(code === 75 ? 'busy' : new Error(`flock ${path} exited with ${code}: ${err.trim()}`)),
    );
  });
  if (got instanceof Error) throw got;
  if (got === 'busy') {
    let holder = await readStateFile(path);
    for (let i = 0; i < 20 && (!holder || holder.state !== 'running'); i++) {
      await new Promise((r) => setTimeout(r, 50)); // the holder writes its pid just after locking
      holder = await readStateFile(path);
    }
    const who =
      holder?.state === 'running'
        ? `${holder.role === 'backend' ? 'another backend' : `\`jobdir ${holder.role}\``} (pid ${holder.pid}${holder.host ? ` on ${holder.host}` : ''}, since ${holder.at})`
        : 'another process';
    throw new ConflictError(
      `${who} holds the lock on ${path}; only one backend may run at a time. Stop it first (jobdir stop), or wait for it to finish.`,
    );
  }
  const free = () => {
    child.stdin!.end();
    child.stdin!.destroy();
  };
  const previous = await readStateFile(path);
  if (previous?.state === 'failed') {
    free();
    throw new UnavailableError(lockoutMessage(path, previous));
  }
  unrefChild(child);
  let fatal = false;
  const base = { pid: process.pid, host: hostname(), role };
  await writeInPlace(path, { ...base, state: 'running', at: new Date().toISOString() });
  return {
    path,
    async recordFatal(error) {
      fatal = true;
      await writeInPlace(path, { ...base, state: 'failed', at: new Date().toISOString(), error });
    },
    async release() {
      if (!fatal)
        await writeInPlace(path, { ...base, state: 'stopped', at: new Date().toISOString() }).catch(
          () => {},
        );
      const exited = new Promise<void>((r) =>
        child.exitCode !== null ? r() : child.once('exit', () => r()),
      );
      // The child was unref'd; ref it again, or a process with nothing else to do exits
      // before the lock is released (seen: the bench ended inside close()).
      child.ref();
      free();
      await exited;
    },
  };
}

function unrefChild(child: ChildProcess): void {
  child.unref();
  (child.stdin as unknown as { unref?: () => void }).unref?.();
  (child.stdout as unknown as { unref?: () => void }).unref?.();
  (child.stderr as unknown as { unref?: () => void }).unref?.();
}
