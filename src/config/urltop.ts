/**
 * urltop, the service's public address, and its path: the prefix the service lives under
 * on the lab's web server (`https://lab.example.org/svc` → `/svc`; none at a host's root).
 * Every address the service gives out is built here: paths for links, forms, redirects and
 * cookies by `under`, absolute URLs for mails by `publicUrl`.
 */

/**
 * The first path segments of jobdir's own routes. A prefix may not start with one: a
 * request for /jobs/… could not be told from one for the prefix /jobs (the web layer
 * accepts requests with and without the prefix). test/prefix.test.ts checks the list
 * against the app's routes.
 */
export const OWN_TOP_SEGMENTS = [
  'jobs',
  'api',
  'admin',
  'my-jobs',
  'jdispatcher',
  'healthz',
  'metrics',
  'assets',
] as const;

/** urltop as written (without trailing slashes) and its path, the prefix ('' at the root). */
export interface Urltop {
  urltop: string;
  basePath: string;
}

/** Read urltop; throws an Error saying which rule it breaks (the config names file and key). */
export function parseUrltop(given: string): Urltop {
  const u = new URL(given);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('must be an http(s) URL');
  if (u.search || u.hash || given.includes('?') || given.includes('#'))
    throw new Error(
      `"${given}" has a query or fragment; give the address only, e.g. https://lab.example.org/svc`,
    );
  if (u.username || u.password) throw new Error(`"${given}" holds a user name or password`);
  const basePath = u.pathname.replace(/\/+$/, '');
  if (basePath && !/^(\/[A-Za-z0-9._~-]+)+$/.test(basePath))
    throw new Error(
      `its path "${basePath}" is not a plain prefix: use segments of letters, digits and - . _ ~ (e.g. /services/svc)`,
    );
  const first = basePath.split('/')[1] ?? '';
  if ((OWN_TOP_SEGMENTS as readonly string[]).includes(first))
    throw new Error(
      `its path "${basePath}" starts with /${first}, which is one of jobdir's own routes (${OWN_TOP_SEGMENTS.join(', ')}); choose another prefix`,
    );
  return { urltop: given.replace(/\/+$/, ''), basePath };
}

/**
 * The path of `path` (absolute: it starts with /) under the prefix `base`: `under('/svc',
 * '/jobs/x')` is `/svc/jobs/x`, `under('/svc', '/')` is `/svc/`, `under('', p)` is `p`.
 */
export function under(base: string, path: string): string {
  return base + path;
}

/** The absolute URL of `path` (it starts with /) under `urltop`, for mails and other sites. */
export function publicUrl(urltop: string, path: string): string {
  return urltop + path;
}

/** The port urltop names (its scheme's when it names none). */
export function urltopPort(urltop: string): number {
  const u = new URL(urltop);
  return u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
}
