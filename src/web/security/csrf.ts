import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { JobdirError } from '../../errors.js';
import type { Site } from '../site.js';

/**
 * Double-submit CSRF protection for HTML form posts: a random token in an HttpOnly,
 * SameSite=Lax cookie must come back in the form's hidden `csrf` field. Another site can
 * make a browser post, but cannot read the cookie to put it in the body.
 */
/** The cookie that holds a browser's CSRF token (HttpOnly, SameSite=Lax). */
export const CSRF_COOKIE = 'jobdir_csrf';

/** The token to put in a form (set as a cookie, on the site's path, when the browser has none yet). */
export function issueCsrf(c: Context, site: Pick<Site, 'secure' | 'cookiePath'>): string {
  let t = getCookie(c, CSRF_COOKIE);
  if (!t || !/^[a-f0-9]{32}$/.test(t)) {
    t = randomBytes(16).toString('hex');
    setCookie(c, CSRF_COOKIE, t, {
      httpOnly: true,
      sameSite: 'Lax',
      secure: site.secure,
      path: site.cookiePath,
    });
  }
  return t;
}

/** Throw 403 (code csrf) unless `sent` equals the cookie's token. */
export function verifyCsrf(c: Context, sent: unknown): void {
  const want = getCookie(c, CSRF_COOKIE) ?? '';
  const got = typeof sent === 'string' ? sent : '';
  if (
    !want ||
    want.length !== got.length ||
    !timingSafeEqual(Buffer.from(want), Buffer.from(got))
  ) {
    throw Object.assign(
      new JobdirError(
        'This form has expired or was sent from another site, so it was not accepted. Reload the form and submit it again.',
      ),
      { status: 403, code: 'csrf' },
    );
  }
}
