import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { createDurableOnce } from '../store/index.js';

/**
 * Read the web secret (signs cookies and my-jobs links) from `file`, creating it on first
 * use: mode 660 less the umask, never readable by others (640 under the default umask 027;
 * 660 under 007, for a web process run as a second user of the service's group,
 * docs/deploy.md). The backend and a web-only process may start together: the file is made
 * whole and durable under a temporary name and linked into place only if none is there, so
 * both use the same one. A file that exists but cannot be read, or is too short to be one
 * jobdir made, is an error naming it, never replaced: replacing it would sign out every
 * user and break every mailed link, and two processes could each put in their own.
 */
export async function loadSecret(file: string): Promise<string> {
  const read = async () => {
    try {
      return (await fs.readFile(file, 'utf8')).trim();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new Error(
        `cannot read the web secret ${file} ([web] secret_file): ${(err as Error).message}`,
        { cause: err },
      );
    }
  };
  let have = await read();
  if (have === null) {
    await fs.mkdir(dirname(file), { recursive: true });
    await createDurableOnce(file, randomBytes(32).toString('hex') + '\n', 0o660);
    have = await read();
  }
  if (have === null || have.length < 32)
    throw new Error(
      `the web secret ${file} ([web] secret_file) holds ${have?.length ?? 0} characters, too few to sign with (at least 32); remove the file and jobdir makes a new one (users' cookies and mailed my-jobs links then stop working)`,
    );
  return have;
}
