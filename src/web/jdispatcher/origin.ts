import type { Context } from 'hono';
import { JobdirError } from '../../errors.js';

/** 403: a browser on another site posted to a Job Dispatcher route. */
export class CrossSiteError extends JobdirError {
  override name = 'CrossSiteError';
  override status = 403;
  override code = 'cross_site';
}

/**
 * Refuse a browser's cross-site form post (CrossSiteError, 403). EBI's clients post a bare
 * form, with no cookie, no CSRF token and no Origin: a request with neither an Origin nor
 * a Sec-Fetch-Site header does not come from a browser, and is accepted. A browser's
 * request is accepted when Sec-Fetch-Site says same-origin (or none: typed by the user),
 * or, without that header, when its Origin is this server's (as it was reached, or its
 * urltop). To be replaced by the web layer's one same-origin rule when there is one.
 */
export function refuseCrossSite(c: Context, urltop: string): void {
  const site = c.req.header('sec-fetch-site');
  const origin = c.req.header('origin');
  if (site === undefined && origin === undefined) return;
  if (site !== undefined) {
    if (site === 'same-origin' || site === 'none') return;
  } else if (origin !== 'null' && (origin === new URL(c.req.url).origin || origin === new URL(urltop).origin)) {
    return;
  }
  throw new CrossSiteError('This service accepts job submissions from scripts and from its own pages, not from other web sites. Submit the job from this service\'s own form, or from a script.');
}
