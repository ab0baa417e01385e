import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { JobdirError } from '../../errors.js';
import { CSRF_COOKIE } from './csrf.js';

/**
 * Same-origin rules for state-changing requests, in one place. A modern browser says
 * where a request comes from: Sec-Fetch-Site (trusted when present: scripts on a page
 * cannot set it), else Origin. A page of another site is refused before the body is
 * read, whatever the encoding (a form, text/plain, or no body at all, as a no-cors
 * fetch sends). A request with neither header did not come from a modern browser —
 * curl, EBI's Job Dispatcher clients, `jobdir submit` — and passes: scripts post bare
 * forms and JSON. The HTML form routes check their CSRF token on top of this.
 *
 * `Origin: null` without Sec-Fetch-Site is what an older browser sends for this site's
 * own forms (the pages say Referrer-Policy: no-referrer), and also what a sandboxed
 * frame of another site sends. It passes only with this site's CSRF cookie, which is
 * SameSite=Lax and so never rides along on another site's POST; the form routes then
 * still check the token.
 */

/** Where a request comes from, as its browser headers say. */
export type RequestSite = 'same-origin' | 'cross-site' | 'opaque' | 'script';

/** 403: a state-changing request sent by another site's page. */
export class CrossSiteError extends JobdirError {
  override name = 'CrossSiteError';
  override status = 403;
  override code = 'csrf';
}

/** The origin of `urltop` (the public address), or null when it is not a URL. */
function originOf(urltop: string): string | null {
  try {
    return new URL(urltop).origin;
  } catch {
    return null;
  }
}

/** Classify `c` by Sec-Fetch-Site, else Origin; `own` is this service's public origin (urltop's). */
export function requestSite(c: Context, own: string | null): RequestSite {
  const site = c.req.header('sec-fetch-site')?.trim().toLowerCase();
  if (site !== undefined)
    return site === 'same-origin' || site === 'none' ? 'same-origin' : 'cross-site';
  const origin = c.req.header('origin')?.trim();
  if (origin === undefined) return 'script';
  if (origin === 'null') return 'opaque';
  return origin === own || origin === new URL(c.req.url).origin ? 'same-origin' : 'cross-site';
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Middleware: refuse (403, code csrf) a state-changing request (any method but GET, HEAD,
 * OPTIONS) that a browser marks as sent by another site's page; pages of this site and
 * bare scripts (no Origin, no Sec-Fetch-Site) pass. Mounted once for the whole app
 * (app.ts); a sub-app served on its own can mount it too.
 */
export function refuseCrossSite(urltop: string): MiddlewareHandler {
  const own = originOf(urltop);
  return async (c, next) => {
    if (!SAFE.has(c.req.method)) {
      const site = requestSite(c, own);
      if (site === 'cross-site' || (site === 'opaque' && !getCookie(c, CSRF_COOKIE))) {
        throw new CrossSiteError(
          "This request was sent by a page of another site, so it was not accepted. Use this service's own pages, or send it from a script (without a browser's Origin header).",
        );
      }
    }
    await next();
  };
}
