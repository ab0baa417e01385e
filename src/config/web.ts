import { parseRunTime } from './duration.js';
import type { SectionReader } from './section.js';

/** A count per time window, e.g. `30/1h`. */
export interface RateLimit {
  count: number;
  windowMs: number;
}

/** The web process's own settings: limits, timeouts, credentials. */
export interface WebConfig {
  host: string;
  port: number;
  /** Signs cookies and "my jobs" links (created on first use). */
  secretFile: string;
  /** `user:scrypt-hash` lines for /admin and /api/admin; null: admin access is refused. */
  adminCredentials: string | null;
  /** /metrics asks for the admin credentials (`metrics_auth`); otherwise it is open. */
  metricsAuth: boolean;
  /** Largest request body in bytes (`max_body`). */
  maxBodyBytes: number;
  /** Largest result file served in bytes (`max_download`); larger files are neither listed nor served. */
  maxDownloadBytes: number;
  /** Submissions accepted per client address (`submit_limit`); more get 429. */
  submitLimit: RateLimit;
  /** Misses (unknown job, bad credentials) per client before each further miss is delayed (`miss_limit`). */
  missLimit: RateLimit;
  /** Longest delay added to a miss over the limit (`miss_delay`; 0 turns slow-down off). */
  missDelayMs: number;
  /** Take the client address from the last X-Forwarded-For hop (behind a reverse proxy). */
  trustProxy: boolean;
  /** Time allowed to send the request headers (`headers_timeout`). */
  headersTimeoutMs: number;
  /** Time allowed to send a whole request (`request_timeout`). */
  requestTimeoutMs: number;
  /** Largest total size of request headers in bytes (`max_header_size`). */
  maxHeaderSize: number;
  /** How long a mailed "my jobs" link works (`link_ttl`). */
  linkTtlMs: number;
  /** /healthz answers 503 when a state folder's filesystem has less free (`min_free_disk`). */
  minFreeDiskBytes: number;
}

/** Parse `64M`, `1G`, `512K` or a plain number of bytes. */
export function parseBytes(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?$/i.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not a size such as 512K, 64M or 1G`);
  const mult = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 }[
    m[2]!.toUpperCase() as ''
  ];
  return Math.floor(Number(m[1]) * mult);
}

/** Parse `COUNT/WINDOW` such as `30/1h` or `20/10m` (window as a run time). */
export function parseRate(text: string): RateLimit {
  const m = /^(\d+)\s*\/\s*(\S+)$/.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not COUNT/WINDOW such as 30/1h`);
  const windowMs = parseRunTime(m[2]!);
  if (!(windowMs > 0) || Number(m[1]) < 1)
    throw new Error(`"${text}" needs a count and a window above zero`);
  return { count: Number(m[1]), windowMs };
}

/** Read `[web]` (host and port already read by the caller); defaults are in DEFAULTS. */
export function readWebSection(
  web: SectionReader,
  host: string,
  port: number,
  defaultSecret: string,
): WebConfig {
  const adminCredentials = web.path('admin_credentials') ?? null;
  const metricsAuth = web.bool('metrics_auth');
  if (metricsAuth && adminCredentials === null)
    web.report(
      'metrics_auth',
      'is yes, but no admin_credentials file is named: /metrics would refuse everyone',
    );
  return {
    host,
    port,
    secretFile: web.path('secret_file') ?? defaultSecret,
    adminCredentials,
    metricsAuth,
    maxBodyBytes: web.parsed('max_body', parseBytes),
    maxDownloadBytes: web.parsed('max_download', parseBytes),
    submitLimit: web.parsed('submit_limit', parseRate),
    missLimit: web.parsed('miss_limit', parseRate),
    missDelayMs: web.parsed('miss_delay', parseRunTime),
    trustProxy: web.bool('trust_proxy'),
    headersTimeoutMs: web.parsed('headers_timeout', parseRunTime),
    requestTimeoutMs: web.parsed('request_timeout', parseRunTime),
    maxHeaderSize: web.int('max_header_size', 1024, 1024 * 1024),
    linkTtlMs: web.parsed('link_ttl', parseRunTime),
    minFreeDiskBytes: web.parsed('min_free_disk', parseBytes),
  };
}
