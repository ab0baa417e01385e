import * as fsc from 'node:fs';
import { constants, promises as fs } from 'node:fs';
import { promisify } from 'node:util';
import { basename, dirname, join } from 'node:path';

/**
 * The durable-write primitives (maildir / nq style): write to a dot-prefixed temp name,
 * fsync, rename into place, fsync the directory. Readers skip dot-names, so nobody ever
 * sees a half-written file. Only the store calls these.
 *
 * Small metadata calls (open, stat, rename, a write of a few hundred bytes) are made
 * synchronously: on a local disk each takes a few µs, while the same call through the
 * thread pool costs the event loop 35-200 µs here (measured: readFile 10 µs sync vs 150 µs
 * async; rename 4 vs 35 µs). Only the calls that wait on the disk, fsync, and
 * large or unbounded work (big uploads, listings of state folders) go through the pool.
 */

const fsyncFd = promisify(fsc.fsync);
const writeFd = promisify(fsc.writeFile);

/** Bigger writes than this go through the thread pool (an upload must not stall the loop). */
const SYNC_WRITE_MAX = 64 * 1024;

let seq = 0;
/** A temp name in the same folder as `path`, hidden from readers by its leading dot. */
export function tempNameFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${++seq}.tmp`);
}

/** fsync an open descriptor off the event loop, then close it. */
async function syncAndClose(fd: number): Promise<void> {
  try {
    await fsyncFd(fd);
  } finally {
    fsc.closeSync(fd);
  }
}

/** fsync a directory so a rename or create inside it survives a power cut. */
export async function fsyncDir(dir: string): Promise<void> {
  await syncAndClose(fsc.openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY));
}

/** Per folder: the fsync in flight, and the one that will follow it (shared by all who wait). */
const groups = new Map<string, { running: Promise<void>; next: Promise<void> | null }>();

/**
 * Group commit: fsync folder `dir` so that every change made in it before this call is
 * durable, sharing the fsync with every other caller of the same tick. A caller that
 * arrives while an fsync of `dir` is in flight (which may have started before its change)
 * waits for the next one, which starts when that one ends and serves all who joined it.
 * So N creations or moves into one folder cost about two fsyncs, not N; each caller is
 * answered only once an fsync that began after its change has completed.
 */
export function fsyncDirShared(dir: string): Promise<void> {
  const g = groups.get(dir);
  if (!g) {
    const running = fsyncDir(dir).finally(() => {
      const cur = groups.get(dir);
      if (cur?.running === running && !cur.next) groups.delete(dir);
    });
    groups.set(dir, { running, next: null });
    return running;
  }
  if (!g.next) {
    const next = g.running
      .catch(() => {})
      .then(() => {
        // This one is now the fsync in flight; later callers wait for the one after it.
        const cur = groups.get(dir)!;
        cur.running = next;
        cur.next = null;
        return fsyncDir(dir);
      })
      .finally(() => {
        const cur = groups.get(dir);
        if (cur?.running === next && !cur.next) groups.delete(dir);
      });
    g.next = next;
  }
  return g.next;
}

/** fsync each existing regular file of `paths` at once (one journal commit serves them all). */
export async function fsyncFiles(paths: readonly string[]): Promise<void> {
  const fds: number[] = [];
  for (const p of paths) {
    let fd: number;
    try {
      fd = fsc.openSync(p, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch {
      continue; // absent, a symlink, …: nothing of ours to make durable
    }
    if (fsc.fstatSync(fd).isFile()) fds.push(fd);
    else fsc.closeSync(fd);
  }
  await Promise.all(fds.map(syncAndClose));
}

/** Write all of `content` to an open descriptor (through the pool when it is large). */
export async function writeAllFd(fd: number, content: string | Uint8Array): Promise<void> {
  const buf = typeof content === 'string' ? Buffer.from(content) : content;
  if (buf.byteLength <= SYNC_WRITE_MAX) {
    fsc.writeFileSync(fd, buf);
    return;
  }
  await writeFd(fd, buf);
}

/** Create `path` (it must not exist) holding `content`; no fsync (the caller makes it durable). */
export async function writeNewFile(path: string, content: string | Uint8Array): Promise<void> {
  const fd = fsc.openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL);
  try {
    await writeAllFd(fd, content);
  } finally {
    fsc.closeSync(fd);
  }
}

/**
 * Write `content` to `path` durably and atomically (temp + fsync + rename + dir fsync).
 * `alsoSync`: other files of the same folder to make durable in the same round, in
 * parallel with the temp file, so a step costs two fsync rounds however many files it has.
 */
export async function writeDurable(
  path: string,
  content: string | Uint8Array,
  opts: { dirSync?: boolean; mode?: number; alsoSync?: readonly string[]; sync?: boolean } = {},
): Promise<void> {
  const tmp = tempNameFor(path);
  const fd = fsc.openSync(
    tmp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    opts.mode ?? 0o666, // less the umask (layout.ts)
  );
  const sync = opts.sync !== false;
  try {
    await writeAllFd(fd, content);
    if (sync) await Promise.all([fsyncFd(fd), fsyncFiles(opts.alsoSync ?? [])]);
  } catch (err) {
    fsc.closeSync(fd);
    fsc.rmSync(tmp, { force: true });
    throw err;
  }
  fsc.closeSync(fd);
  try {
    // A durable write replaces a file that was itself made durable, so its data blocks are
    // on disk, and freeing them can wait on the disk (on ext4 mounted with discard, a
    // discard request per file, ~0.1-1 ms here): that rename goes through the thread pool,
    // which the fsyncs around it wait on anyway, not on the event loop.
    if (sync) await fs.rename(tmp, path);
    else fsc.renameSync(tmp, path);
  } catch (err) {
    fsc.rmSync(tmp, { force: true });
    throw err;
  }
  if (opts.dirSync !== false && sync) await fsyncDir(dirname(path));
}

/**
 * Create `path` holding `content`, durably, unless a file is already there: written whole
 * under a temp name and fsynced, then linked into place (link fails on an existing name, so
 * of two processes creating it at once one wins and both read the same file), the folder
 * fsynced. True when this call made it.
 */
export async function createDurableOnce(
  path: string,
  content: string | Uint8Array,
  mode = 0o666,
): Promise<boolean> {
  const tmp = tempNameFor(path);
  const fd = fsc.openSync(
    tmp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    mode, // less the umask
  );
  try {
    try {
      await writeAllFd(fd, content);
      await fsyncFd(fd);
    } finally {
      fsc.closeSync(fd);
    }
    try {
      fsc.linkSync(tmp, path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
    await fsyncDir(dirname(path));
    return true;
  } finally {
    fsc.rmSync(tmp, { force: true });
  }
}

/** Read a small text file, or null when it does not exist. */
export async function readIfExists(path: string): Promise<string | null> {
  try {
    return fsc.readFileSync(path, 'utf8');
  } catch (err) {
    if (
      (err as NodeJS.ErrnoException).code === 'ENOENT' ||
      (err as NodeJS.ErrnoException).code === 'ENOTDIR'
    )
      return null;
    throw err;
  }
}

/** True when the error is "no such file or directory". */
export function isENOENT(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === 'ENOENT';
}

/** True when the error means the disk (or quota) is full. */
export function isNoSpace(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** Copy a job directory tree (files, folders, symlinks as links), fsyncing every file. */
export async function copyTreeDurable(src: string, dest: string): Promise<void> {
  await fs.mkdir(dest, { recursive: false, mode: 0o777 });
  for (const ent of await fs.readdir(src, { withFileTypes: true })) {
    const s = join(src, ent.name);
    const d = join(dest, ent.name);
    if (ent.isDirectory()) await copyTreeDurable(s, d);
    else if (ent.isSymbolicLink()) await fs.symlink(await fs.readlink(s), d);
    else if (ent.isFile()) {
      await fs.copyFile(s, d);
      const fh = await fs.open(d, 'r+');
      await fh.sync();
      await fh.close();
    }
  }
  await fsyncDir(dest);
}
