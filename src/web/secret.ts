import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Read the web secret (signs cookies and my-jobs links) from `file`, creating it on first
 * use: mode 660 less the umask, never readable by others (640 under umask 022; 660 under
 * 0007, for a web process run as a second user of the service's group, docs/deploy.md).
 * The backend and a web-only process may start together: the file is made whole under a
 * temporary name and linked into place only if none is there, so both use the same one.
 * A file that exists but cannot be read is an error, never replaced.
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
  const have = await read();
  if (have !== null && have.length >= 32) return have;
  const secret = randomBytes(32).toString('hex');
  await fs.mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, secret + '\n', { mode: 0o660 });
  try {
    if (have === null) {
      const made = await fs.link(tmp, file).then(
        () => true,
        (err: NodeJS.ErrnoException) => {
          if (err.code === 'EEXIST') return false;
          throw err;
        },
      );
      if (!made) return (await read()) ?? secret;
    } else {
      // Too short to be one of ours: replaced.
      await fs.rename(tmp, file);
    }
    return secret;
  } finally {
    await fs.rm(tmp, { force: true });
  }
}
