import * as fsc from 'node:fs';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { isENOENT } from './fsutil.js';
import { isJobId } from './ids.js';
import type { Store } from './layout.js';

/**
 * users/<encoded email>/ is a derived index: each entry links to ../../by-id/<id>, so it
 * never needs updating when the job moves. Addresses are encoded reversibly: characters
 * outside [A-Za-z0-9@._+-] (and a leading dot) become %XX of their UTF-8 bytes, and the
 * domain is lower-cased (it is case-insensitive), so any legal address is a safe name.
 */
export function encodeEmail(email: string): string {
  const at = email.lastIndexOf('@');
  const norm = at > 0 ? email.slice(0, at) + email.slice(at).toLowerCase() : email;
  let out = '';
  for (const byte of Buffer.from(norm, 'utf8')) {
    const ch = String.fromCharCode(byte);
    const safe = /[A-Za-z0-9@_+-]/.test(ch) || (ch === '.' && out !== '');
    out += safe ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Inverse of encodeEmail. */
export function decodeEmail(name: string): string {
  return Buffer.from(
    name.replace(/%([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
    'latin1',
  ).toString('utf8');
}

/** Add job `id` to `email`'s index. */
export async function addUserIndex(store: Store, email: string, id: string): Promise<void> {
  const dir = join(store.users, encodeEmail(email));
  fsc.mkdirSync(dir, { recursive: true });
  try {
    fsc.symlinkSync(join('..', '..', 'by-id', id), join(dir, id));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

/** Remove job `id` from `email`'s index. */
export async function removeUserIndex(store: Store, email: string, id: string): Promise<void> {
  await fs.rm(join(store.users, encodeEmail(email), id), { force: true });
}

/** Ids of `email`'s jobs (whatever state they are in). */
export async function listUserJobs(store: Store, email: string): Promise<string[]> {
  try {
    return (await fs.readdir(join(store.users, encodeEmail(email)))).filter(isJobId);
  } catch (err) {
    if (isENOENT(err)) return [];
    throw err;
  }
}
