import { constants, promises as fs, type ReadStream } from 'node:fs';
import { join } from 'node:path';
import { isPrivateFile } from './files.js';
import type { JobRef } from './jobs.js';

/** A file a user may download from a job. */
export interface ResultFile {
  name: string;
  size: number;
}

/** Does `name` match one of the patterns (exact names or simple `*` globs)? */
export function matchesAny(name: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => {
    if (!p.includes('*')) return p === name;
    const re = new RegExp(
      `^${p
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]*')}$`,
    );
    return re.test(name);
  });
}

/** A name that could ever be served: one path segment, no dot-name, no control characters. */
function plausible(name: string): boolean {
  return (
    name.length > 0 &&
    name.length <= 255 &&
    !name.startsWith('.') &&
    !/[/\\\u0000-\u001f\u007f]/.test(name) &&
    !isPrivateFile(name)
  );
}

/**
 * The downloadable files of a job: regular files (never symlinks, FIFOs or devices) at
 * the top of the job directory, not framework files or dot-names, on the service's
 * whitelist when it declares one, and not larger than `maxBytes` ([web] max_download).
 */
export async function listResultFiles(
  job: JobRef,
  allow?: readonly string[],
  maxBytes = Infinity,
): Promise<ResultFile[]> {
  const out: ResultFile[] = [];
  let names: string[];
  try {
    names = await fs.readdir(job.dir);
  } catch {
    return out;
  }
  for (const name of names.sort()) {
    if (!plausible(name) || (allow && !matchesAny(name, allow))) continue;
    const st = await fs.lstat(join(job.dir, name)).catch(() => null);
    if (st?.isFile() && st.size <= maxBytes) out.push({ name, size: st.size });
  }
  return out;
}

/**
 * Open one result file for reading, or null when it may not be served: the same rules
 * as listResultFiles, checked on the opened descriptor (O_NOFOLLOW | O_NONBLOCK, then
 * fstat is a regular file of at most `maxBytes`), so a symlink or FIFO swapped in later
 * is refused too, and so is a huge (e.g. sparse) file.
 */
export async function openResultFile(
  job: JobRef,
  name: string,
  allow?: readonly string[],
  maxBytes = Infinity,
): Promise<{ stream: ReadStream; size: number } | null> {
  if (!plausible(name) || (allow && !matchesAny(name, allow))) return null;
  return openRegular(join(job.dir, name), maxBytes);
}

/** Open `path` if it is a regular file (not through a symlink) of at most `maxBytes`; else null. */
async function openRegular(
  path: string,
  maxBytes: number,
): Promise<{ stream: ReadStream; size: number } | null> {
  let fh;
  try {
    fh = await fs.open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return null;
  }
  const st = await fh.stat();
  if (!st.isFile() || st.size > maxBytes) {
    await fh.close();
    return null;
  }
  return { stream: fh.createReadStream({ autoClose: true }), size: st.size };
}

/** One entry at the top of a job directory, as the admin sees it. */
export interface JobFileEntry {
  name: string;
  /** Bytes (a folder's own size); a symlink's is its own, not its target's. */
  size: number;
  kind: 'file' | 'folder' | 'symlink' | 'other';
  /** Last modified, ms since the epoch. */
  modified: number;
}

/** A name the admin may open in a job directory: one segment, not a dot-name, no control characters. */
function adminPlausible(name: string): boolean {
  return (
    name.length > 0 &&
    name.length <= 255 &&
    !name.startsWith('.') &&
    !/[/\\\u0000-\u001f\u007f]/.test(name)
  );
}

/**
 * Everything at the top of a job directory, by name (dot-names, which are half-written
 * files, left out): jobdir's own files, uploads and what the program wrote. [] when the
 * directory is gone.
 */
export async function listJobFiles(job: JobRef): Promise<JobFileEntry[]> {
  let names: string[];
  try {
    names = await fs.readdir(job.dir);
  } catch {
    return [];
  }
  const out: JobFileEntry[] = [];
  for (const name of names.sort()) {
    if (!adminPlausible(name)) continue;
    const st = await fs.lstat(join(job.dir, name)).catch(() => null);
    if (!st) continue;
    const kind = st.isFile()
      ? 'file'
      : st.isDirectory()
        ? 'folder'
        : st.isSymbolicLink()
          ? 'symlink'
          : 'other';
    out.push({ name, size: st.size, kind, modified: st.mtimeMs });
  }
  return out;
}

/**
 * Open any regular file at the top of a job directory for the admin, jobdir's own files
 * included (config.ini, markers, jobdir.log), with openResultFile's checks otherwise: no
 * symlink, FIFO, device or folder, nothing larger than `maxBytes`. Null when refused.
 */
export async function openJobFile(
  job: JobRef,
  name: string,
  maxBytes = Infinity,
): Promise<{ stream: ReadStream; size: number } | null> {
  if (!adminPlausible(name)) return null;
  return openRegular(join(job.dir, name), maxBytes);
}
