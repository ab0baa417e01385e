import { constants, promises as fs } from 'node:fs';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { PRIVATE_FILES } from './files.js';
import { writeDurable } from './fsutil.js';

/**
 * The absolute path of `name` inside job directory `dir`, for service hooks. `name` is
 * relative to the job directory (Node cannot chdir per job, so hooks use this instead of
 * the working directory); absolute paths, `..` escapes, NUL and dot-names are refused, and
 * so are jobdir's own files (config.ini, markers, jobdir.log) for writing.
 */
export function jobFilePath(dir: string, name: string, opts: { write?: boolean } = {}): string {
  const rel = normalize(name);
  if (
    name === '' ||
    name.includes('\0') ||
    isAbsolute(name) ||
    rel === '..' ||
    rel.startsWith(`..${sep}`) ||
    rel.split(sep).some((p) => p.startsWith('.'))
  ) {
    throw new Error(`"${name.slice(0, 100)}" is not a file name inside the job directory`);
  }
  if (opts.write && PRIVATE_FILES.has(rel))
    throw new Error(`${rel} belongs to jobdir; a service may not write it`);
  return join(dir, rel);
}

/**
 * `jobFilePath`, then check that the folder holding it really is inside the job directory:
 * a sub-folder the program replaced by a symlink (to /etc, say) is refused.
 */
async function resolvedInside(dir: string, name: string, write: boolean): Promise<string> {
  const path = jobFilePath(dir, name, { write });
  const [root, parent] = await Promise.all([fs.realpath(dir), fs.realpath(dirname(path))]);
  if (parent !== root && !parent.startsWith(root + sep))
    throw new Error(`"${name.slice(0, 100)}" leads outside the job directory`);
  return path;
}

/** Read a text file of a job directory (name relative to it; the file itself may not be a symlink). */
export async function readJobFile(dir: string, name: string): Promise<string> {
  const fh = await fs.open(
    await resolvedInside(dir, name, false),
    constants.O_RDONLY | constants.O_NOFOLLOW,
  );
  try {
    return await fh.readFile('utf8');
  } finally {
    await fh.close();
  }
}

/** Write a file of a job directory durably (temp + fsync + rename); creates sub-folders. */
export async function writeJobFile(
  dir: string,
  name: string,
  data: string | Uint8Array,
): Promise<void> {
  jobFilePath(dir, name, { write: true });
  // Make missing sub-folders one at a time, refusing any existing one that is a symlink.
  let at = dir;
  for (const part of normalize(name).split(sep).slice(0, -1)) {
    at = join(at, part);
    const st = await fs.lstat(at).catch(() => null);
    if (st?.isSymbolicLink())
      throw new Error(`"${name.slice(0, 100)}" leads outside the job directory`);
    if (!st)
      await fs.mkdir(at).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      });
  }
  await writeDurable(await resolvedInside(dir, name, true), data);
}
