import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';

/** Read the web secret (signs cookies) from `file`, creating it (mode 600) on first use. */
export async function loadSecret(file: string): Promise<string> {
  try {
    const s = (await fs.readFile(file, 'utf8')).trim();
    if (s.length >= 32) return s;
  } catch {
    /* create it */
  }
  const secret = randomBytes(32).toString('hex');
  await fs.mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, secret + '\n', { mode: 0o600 });
  await fs.rename(tmp, file);
  return secret;
}
