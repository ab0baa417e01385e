/**
 * A crawler that checks a service stays under its prefix: every link, form action, asset,
 * redirect and cookie path of each answer it opens must point under urltop's path (other
 * sites' addresses, such as the github link, are left alone). It keeps cookies like a
 * browser, follows every link it finds once, and lists what left the service. Used over a
 * direct connection (test/prefix.test.ts) and through nginx (test/nginx-proxy.test.ts).
 */

/** One address an answer points to, and where it was found. */
export interface Pointer {
  what: string;
  url: string;
}

/** What the crawler saw of one answer. */
export interface Opened {
  res: Response;
  body: string;
  /** Where the answer came from (a public URL under urltop). */
  url: string;
}

const ATTRS = /\s(href|src|action|formaction|data-[a-z-]+)="([^"]*)"/g;

/** The addresses an answer points to: attributes, meta refresh targets and its Location. */
export function pointersOf(res: Response, body: string): Pointer[] {
  const out: Pointer[] = [];
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('html') || type.includes('event-stream')) {
    const html = body.replace(/&amp;/g, '&').replace(/&quot;/g, '"');
    for (const m of html.matchAll(ATTRS)) {
      // data-* attributes count only when they hold a path or a URL.
      if (m[1]!.startsWith('data-') && !/^(\/|https?:)/.test(m[2]!)) continue;
      out.push({ what: m[1]!, url: m[2]! });
    }
    for (const m of html.matchAll(/http-equiv="refresh" content="\d+;\s*url=([^"]+)"/gi))
      out.push({ what: 'meta refresh', url: m[1]! });
  }
  if (type.includes('json')) {
    const strings = (v: unknown, key: string): void => {
      if (typeof v === 'string') {
        if (/^(\/|https?:\/\/)/.test(v)) out.push({ what: `json ${key}`, url: v });
      } else if (v && typeof v === 'object')
        for (const [k, x] of Object.entries(v)) strings(x, Array.isArray(v) ? key : k);
    };
    try {
      strings(JSON.parse(body), '');
    } catch {
      /* not JSON after all */
    }
  }
  const loc = res.headers.get('location');
  if (loc) out.push({ what: 'Location', url: loc });
  return out;
}

/** A browser-like walker over one service: cookies kept, every answer checked. */
export class Crawler {
  readonly prefix: string;
  readonly origin: string;
  /** What left the service: `page → what=url`, or a cookie with another path. */
  readonly bad: string[] = [];
  /** Every GET address opened, with its status. */
  readonly opened = new Map<string, number>();
  /** Set-Cookie headers seen, as sent. */
  readonly cookies: string[] = [];
  /** Every answer opened, in order (the crawl starts from these). */
  readonly answers: Opened[] = [];
  private readonly jar = new Map<string, string>();

  /**
   * `urltop`: the public address; `send(url)`: the address a public URL is fetched from
   * (the same when the crawler goes through the proxy); `headers`: sent with every request.
   */
  constructor(
    readonly urltop: string,
    private readonly send: (url: string) => string = (u) => u,
    private readonly headers: Record<string, string> = {},
  ) {
    const u = new URL(urltop);
    this.origin = u.origin;
    this.prefix = u.pathname.replace(/\/+$/, '');
  }

  /** True when `url` (as resolved from page `from`) is this service's and under its prefix, or another site's. */
  stays(url: string, from: string): boolean {
    const u = new URL(url, from);
    if (u.origin !== this.origin) return true;
    return !this.prefix || u.pathname === this.prefix || u.pathname.startsWith(`${this.prefix}/`);
  }

  /** The public URL of `path` (which starts with /) under urltop. */
  at(path: string): string {
    return `${this.origin}${this.prefix}${path}`;
  }

  /** Open a public URL (not following redirects) and check what it points to. */
  async open(url: string, init: RequestInit = {}): Promise<Opened> {
    const headers = new Headers(init.headers);
    for (const [k, v] of Object.entries(this.headers)) if (!headers.has(k)) headers.set(k, v);
    if (this.jar.size) headers.set('cookie', [...this.jar].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(this.send(url), { ...init, headers, redirect: 'manual' });
    const body = await res.text();
    if ((init.method ?? 'GET') === 'GET') this.opened.set(url, res.status);
    this.check(url, res, body);
    const o = { res, body, url };
    this.answers.push(o);
    return o;
  }

  /** Check an answer got elsewhere (a stream's first event, say) as if opened at `url`. */
  check(url: string, res: Response, body: string): void {
    const page = url.replace(this.origin, '');
    for (const p of pointersOf(res, body))
      if (!this.stays(p.url, url)) this.bad.push(`${page} → ${p.what}=${p.url}`);
    for (const c of res.headers.getSetCookie()) {
      this.cookies.push(c);
      const [pair = '', ...attrs] = c.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      this.jar.set(pair.slice(0, eq), pair.slice(eq + 1));
      const path = attrs.find((a) => /^path=/i.test(a))?.slice(5) ?? '(none)';
      if (path !== (this.prefix || '/'))
        this.bad.push(`${page} → cookie ${pair.slice(0, eq)} Path=${path}`);
    }
  }

  /** POST a form (urlencoded) with the page's CSRF token, as its browser would. */
  post(url: string, fields: Record<string, string>, from?: Opened): Promise<Opened> {
    const csrf = from ? /name="csrf" value="([a-f0-9]+)"/.exec(from.body)?.[1] : undefined;
    return this.open(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'sec-fetch-site': 'same-origin',
      },
      body: new URLSearchParams({ ...(csrf ? { csrf } : {}), ...fields }),
    });
  }

  /**
   * Follow every link and asset (href, src, data-*) of the pages opened so far and of those
   * they lead to, once each, staying on this service. Returns the addresses that answered 404.
   */
  async crawl(skip: (url: string) => boolean = () => false): Promise<string[]> {
    const missing: string[] = [];
    const queue: Opened[] = [...this.answers];
    const seenNow = new Set(this.opened.keys());
    const visit = async (o: Opened) => {
      for (const p of pointersOf(o.res, o.body)) {
        // Forms, redirects and the API's cancel link are posted to, not followed.
        if (['action', 'formaction', 'Location', 'json cancel'].includes(p.what)) continue;
        // A link to a place on its own page (an error summary's to its fields) fetches nothing.
        if (p.url.startsWith('#')) continue;
        const u = new URL(p.url, o.url);
        if (u.origin !== this.origin || !this.stays(u.href, o.url)) continue;
        u.hash = '';
        if (seenNow.has(u.href) || skip(u.href)) continue;
        seenNow.add(u.href);
        const next = await this.open(u.href);
        if (next.res.status === 404) missing.push(`${o.url.replace(this.origin, '')} → ${u.href}`);
        queue.push(next);
      }
    };
    while (queue.length) await visit(queue.shift()!);
    return missing;
  }
}
