import { constants, promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * The durable-write primitives (maildir / nq style): write to a dot-prefixed temp name,
 * fsync, rename into place, fsync the directory. Readers skip dot-names, so nobody ever
 * sees a half-written file. Only the store calls these.
 */

let seq = 0;
/** A temp name in the same folder as `path`, hidden from readers by its leading dot. */
export function tempNameFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${++seq}.tmp`);
}

/** fsync a directory so a rename or create inside it survives a power cut. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await fs.open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** fsync each existing regular file of `paths` at once (one journal commit serves them all). */
export async function fsyncFiles(paths: readonly string[]): Promise<void> {
  await Promise.all(paths.map(async (p) => {
    let fh;
    try {
      fh = await fs.open(p, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch {
      return; // absent, a symlink, …: nothing of ours to make durable
    }
    try {
      if ((await fh.stat()).isFile()) await fh.sync();
    } finally {
      await fh.close();
    }
  }));
}

/**
 * Write `content` to `path` durably and atomically (temp + fsync + rename + dir fsync).
 * `alsoSync`: other files of the same folder to make durable in the same round, in
 * parallel with the temp file, so a step costs two fsync rounds however many files it has.
 */
export async function writeDurable(path: string, content: string | Uint8Array, opts: { dirSync?: boolean; mode?: number; alsoSync?: readonly string[]; sync?: boolean } = {}): Promise<void> {
  const tmp = tempNameFor(path);
  const fh = await fs.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, opts.mode ?? 0o644);
  try {
    await fh.writeFile(content);
    if (opts.sync !== false) await Promise.all([fh.sync(), fsyncFiles(opts.alsoSync ?? [])]);
  } catch (err) {
    await fh.close();
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  try {
    await fs.rename(tmp, path);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  if (opts.dirSync !== false && opts.sync !== false) await fsyncDir(dirname(path));
}

/** Read a small text file, or null when it does not exist. */
export async function readIfExists(path: string): Promise<string | null> {
  try {
    return await fs.readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
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
  await fs.mkdir(dest, { recursive: false, mode: 0o755 });
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
