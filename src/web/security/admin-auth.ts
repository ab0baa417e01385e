import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { promisify } from 'node:util';
import type { MiddlewareHandler } from 'hono';
import { ConfigError, JobdirError } from '../../errors.js';

const scrypt = promisify(scryptCb) as (
  pw: string,
  salt: Buffer,
  len: number,
  o: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

/**
 * Admin credentials: a file of `user:scrypt$N$r$p$salt$hash` lines (salt and hash in
 * base64url), named by `[web] admin_credentials` and read once when the web process
 * starts; it is never part of the main config. `#` lines and blank lines are ignored.
 */
export type AdminCredentials = ReadonlyMap<string, string>;

const N = 16384;
const R = 8;
const P = 1;
const LEN = 32;
const USER_RE = /^[A-Za-z0-9._@-]{1,64}$/;

/** Hash `password` for a credentials file line. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, LEN, { N, r: R, p: P, maxmem: 64 * 1024 * 1024 });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

/** True when `password` matches `stored` (a hashPassword result); constant-time compare. */
export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const want = Buffer.from(hash, 'base64url');
  const got = await scrypt(password, Buffer.from(salt, 'base64url'), want.length || LEN, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: 256 * 1024 * 1024,
  });
  return want.length === got.length && timingSafeEqual(want, got);
}

/** Read a credentials file; errors name the file and line. A missing file is an error. */
export async function loadAdminCredentials(file: string): Promise<AdminCredentials> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(
      file,
      null,
      null,
      `cannot read the admin credentials file: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const out = new Map<string, string>();
  text.split('\n').forEach((line, i) => {
    const l = line.trim();
    if (!l || l.startsWith('#')) return;
    const colon = l.indexOf(':');
    const user = l.slice(0, colon);
    if (colon < 1 || !USER_RE.test(user) || !l.slice(colon + 1).startsWith('scrypt$')) {
      throw new ConfigError(
        file,
        null,
        null,
        `line ${i + 1} is not user:scrypt$… (add users with: jobdir admin-user NAME --file ${file})`,
      );
    }
    out.set(user, l.slice(colon + 1));
  });
  return out;
}

/** Add or replace `user` in the credentials file (created mode 600), written by temp + rename. */
export async function setAdminUser(file: string, user: string, password: string): Promise<void> {
  if (!USER_RE.test(user))
    throw new JobdirError(
      `"${user.slice(0, 64)}" is not a valid user name: use 1-64 letters, digits, . _ @ -`,
    );
  if (password.length < 10) throw new JobdirError('the password must have at least 10 characters');
  const old = await fs.readFile(file, 'utf8').catch(() => '');
  const kept = old.split('\n').filter((l) => l.trim() && !l.startsWith(`${user}:`));
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, [...kept, `${user}:${await hashPassword(password)}`].join('\n') + '\n', {
    mode: 0o660, // less the umask: the web process, maybe a second user of the group, reads it
  });
  await fs.rename(tmp, file);
}

/** Thrown when admin credentials are missing or wrong (401). */
export class UnauthorizedError extends JobdirError {
  override name = 'UnauthorizedError';
  override status = 401;
  override code = 'unauthorized';
}

const DUMMY = `scrypt$${N}$${R}$${P}$${Buffer.alloc(16).toString('base64url')}$${Buffer.alloc(LEN).toString('base64url')}`;

/**
 * Middleware for /admin and /api/admin: HTTP Basic credentials checked against `creds`
 * (null: no file configured, every request refused). An unknown user costs the same
 * scrypt as a known one. Verified header values are remembered (as a SHA-256) so a
 * dashboard that polls does not pay for scrypt on every request. Sets `c.var.adminUser`.
 */
export function adminAuth(
  creds: AdminCredentials | null,
): MiddlewareHandler<{ Variables: { adminUser: string } }> {
  const verified = new Map<string, string>();
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const key = createHash('sha256').update(header).digest('base64');
    let user = verified.get(key);
    if (!user) {
      const m = /^Basic ([A-Za-z0-9+/=]{1,1024})$/i.exec(header);
      const decoded = m ? Buffer.from(m[1]!, 'base64').toString('utf8') : '';
      const colon = decoded.indexOf(':');
      const name = colon > 0 ? decoded.slice(0, colon) : '';
      const stored = creds?.get(name);
      const ok = await verifyPassword(stored ?? DUMMY, colon > 0 ? decoded.slice(colon + 1) : '');
      if (ok && stored && creds) {
        if (verified.size > 1000) verified.clear();
        verified.set(key, name);
        user = name;
      }
    }
    if (!user) {
      c.header('WWW-Authenticate', 'Basic realm="jobdir admin", charset="UTF-8"');
      throw new UnauthorizedError(
        creds
          ? "These pages need an administrator's user name and password."
          : 'Administration is not set up on this server.',
      );
    }
    c.set('adminUser', user);
    await next();
  };
}
