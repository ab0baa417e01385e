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
  let fh;
  try {
    fh = await fs.open(
      join(job.dir, name),
      constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK,
    );
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
