import { parseRunTime } from './duration.js';
import type { SectionReader } from './section.js';

/** Keys of `[web]` beyond host and port (read by `readWebSection`). */
export const WEB_KEYS = [
  'secret_file', 'admin_credentials', 'max_body', 'max_download', 'submit_limit', 'miss_limit', 'miss_delay',
  'trust_proxy', 'headers_timeout', 'request_timeout', 'max_header_size', 'link_ttl', 'min_free_disk',
] as const;

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
  /** Largest request body in bytes (`max_body`, default 64M). */
  maxBodyBytes: number;
  /** Largest result file served in bytes (`max_download`, default 1G); larger files are neither listed nor served. */
  maxDownloadBytes: number;
  /** Submissions accepted per client address (`submit_limit`, default 60/1h); more get 429. */
  submitLimit: RateLimit;
  /** Misses (unknown job, bad credentials) per client before each further miss is delayed (`miss_limit`, default 20/10m). */
  missLimit: RateLimit;
  /** Longest delay added to a miss over the limit (`miss_delay`, default 2s; 0 turns slow-down off). */
  missDelayMs: number;
  /** Take the client address from the last X-Forwarded-For hop (behind a reverse proxy). */
  trustProxy: boolean;
  /** Time allowed to send the request headers (`headers_timeout`, default 10s). */
  headersTimeoutMs: number;
  /** Time allowed to send a whole request (`request_timeout`, default 60s). */
  requestTimeoutMs: number;
  /** Largest total size of request headers in bytes (`max_header_size`, default 16384). */
  maxHeaderSize: number;
  /** How long a mailed "my jobs" link works (`link_ttl`, default 7d). */
  linkTtlMs: number;
  /** /healthz answers 503 when a state folder's filesystem has less free (`min_free_disk`, default 1G). */
  minFreeDiskBytes: number;
}

/** Parse `64M`, `1G`, `512K` or a plain number of bytes. */
export function parseBytes(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?$/i.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not a size such as 512K, 64M or 1G`);
  const mult = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 }[m[2]!.toUpperCase() as ''];
  return Math.floor(Number(m[1]) * mult);
}

/** Parse `COUNT/WINDOW` such as `30/1h` or `20/10m` (window as a run time). */
export function parseRate(text: string): RateLimit {
  const m = /^(\d+)\s*\/\s*(\S+)$/.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not COUNT/WINDOW such as 30/1h`);
  const windowMs = parseRunTime(m[2]!);
  if (!(windowMs > 0) || Number(m[1]) < 1) throw new Error(`"${text}" needs a count and a window above zero`);
  return { count: Number(m[1]), windowMs };
}

/** Read `[web]` (host and port already read by the caller). */
export function readWebSection(web: SectionReader, host: string, port: number, defaultSecret: string): WebConfig {
  return {
    host,
    port,
    secretFile: web.path('secret_file') ?? defaultSecret,
    adminCredentials: web.path('admin_credentials') ?? null,
    maxBodyBytes: web.parsed('max_body', '64M', parseBytes),
    maxDownloadBytes: web.parsed('max_download', '1G', parseBytes),
    submitLimit: web.parsed('submit_limit', '60/1h', parseRate),
    missLimit: web.parsed('miss_limit', '20/10m', parseRate),
    missDelayMs: web.parsed('miss_delay', '2s', parseRunTime),
    trustProxy: web.bool('trust_proxy', false),
    headersTimeoutMs: web.parsed('headers_timeout', '10s', parseRunTime),
    requestTimeoutMs: web.parsed('request_timeout', '60s', parseRunTime),
    maxHeaderSize: web.int('max_header_size', 16384, 1024, 1024 * 1024),
    linkTtlMs: web.parsed('link_ttl', '7d', parseRunTime),
    minFreeDiskBytes: web.parsed('min_free_disk', '1G', parseBytes),
  };
}
