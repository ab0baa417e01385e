import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { writeDurable } from './fsutil.js';

/** The data root's folder of wrapper copies, one per version (see installWrapper). */
export const WRAPPERS_FOLDER = 'wrappers';

/** A wrapper's file name: the package's (`jobdir-wrapper.sh`) or a copy's, with its hash. */
export const WRAPPER_NAME = /^jobdir-wrapper(?:-[0-9a-f]{16})?\.sh$/;

/**
 * A job keeps the wrapper it started with. The backend does not run the package's
 * wrapper/jobdir-wrapper.sh, which an upgrade replaces (or moves), but a copy in the data
 * root named by its content's hash, `wrappers/jobdir-wrapper-HASH.sh`: written once,
 * durably (temp name, fsync, rename, folder fsync), never changed or removed. A running
 * sh keeps reading the file it started with, and every copy stays where its jobs'
 * command lines name it. Returns the copy's path.
 */
export async function installWrapper(data: string, source: string): Promise<string> {
  const text = await fs.readFile(source);
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  const dir = join(data, WRAPPERS_FOLDER);
  const path = join(dir, `jobdir-wrapper-${hash}.sh`);
  // Nobody but the backend's user may change what the backend runs (not the web process's
  // user, a second user of the group): the folder is 750 and each copy 550, whatever the umask.
  await fs.mkdir(dir, { recursive: true, mode: 0o750 });
  await fs.chmod(dir, 0o750).catch(() => {}); // another user's folder: not ours to change
  const have = await fs.readFile(path).catch(() => null);
  if (have?.equals(text)) {
    if (((await fs.stat(path)).mode & 0o777) !== 0o550) await fs.chmod(path, 0o550);
    return path;
  }
  // A copy of this name that differs (a torn write by hand; the temp+rename never leaves
  // one) is replaced whole: the name promises the content.
  await writeDurable(path, text, { mode: 0o550 });
  await fs.chmod(path, 0o550);
  return path;
}
