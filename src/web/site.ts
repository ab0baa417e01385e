/**
 * Where the service is served: under urltop's path (the prefix, e.g. /svc), behind the lab's
 * web server. One edge rule and one address builder make it hold everywhere:
 * - requests are taken with or without the prefix (a proxy may pass it on, as Apache's
 *   `ProxyPass /svc http://…/svc` does, or strip it, as nginx's `proxy_pass http://…/;`
 *   does): the path is read once, without it, so every route, `c.req.path` check and log
 *   line sees `/jobs/…` either way;
 * - every address handed out (links, form actions, assets, redirects, API Location and
 *   links, cookie paths) is `site.to(path)`, i.e. config's `under(basePath, path)`; the
 *   templates get the prefix from their frame as `base`.
 */
import { getPath } from 'hono/utils/url';
import { type Config, under } from '../config/index.js';

/** What the web layer needs to know of where it is served. */
export interface Site {
  /** urltop's path ('' at a host's root, else e.g. /svc). */
  base: string;
  /** Cookies only over TLS (an https urltop). */
  secure: boolean;
  /** The Path of every cookie this service sets: its prefix, so services on one host keep theirs apart. */
  cookiePath: string;
  /** The address of `path` (which starts with /) under the prefix. */
  to(path: string): string;
}

/** The site of a config's urltop. */
export function siteOf(cfg: Config): Site {
  const base = cfg.general.basePath;
  return {
    base,
    secure: /^https:/i.test(cfg.general.urltop),
    cookiePath: base || '/',
    to: (path) => under(base, path),
  };
}

/**
 * The edge (hono's getPath): a request's path without the prefix `base` when it carries it,
 * as it came otherwise. The prefix is taken off once, and only whole: /svcx stays /svcx.
 */
export function pathWithoutPrefix(base: string): (request: Request) => string {
  if (!base) return getPath;
  const withSlash = `${base}/`;
  return (request) => {
    const path = getPath(request);
    if (path === base) return '/';
    return path.startsWith(withSlash) ? path.slice(base.length) : path;
  };
}
