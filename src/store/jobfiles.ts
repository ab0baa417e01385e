import { promises as fs } from 'node:fs';
import { isAbsolute, join, normalize, sep } from 'node:path';
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
  if (name === '' || name.includes('\0') || isAbsolute(name) || rel === '..' || rel.startsWith(`..${sep}`) || rel.split(sep).some((p) => p.startsWith('.'))) {
    throw new Error(`"${name.slice(0, 100)}" is not a file name inside the job directory`);
  }
  if (opts.write && PRIVATE_FILES.has(rel)) throw new Error(`${rel} belongs to jobdir; a service may not write it`);
  return join(dir, rel);
}

/** Read a text file of a job directory (name relative to it). */
export async function readJobFile(dir: string, name: string): Promise<string> {
  return fs.readFile(jobFilePath(dir, name), 'utf8');
}

/** Write a file of a job directory durably (temp + fsync + rename); creates sub-folders. */
export async function writeJobFile(dir: string, name: string, data: string | Uint8Array): Promise<void> {
  const path = jobFilePath(dir, name, { write: true });
  await fs.mkdir(join(path, '..'), { recursive: true });
  await writeDurable(path, data);
}
