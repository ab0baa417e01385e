import type { Context, MiddlewareHandler } from 'hono';
import type { WebConfig } from '../../config/index.js';
import { JobdirError } from '../../errors.js';
import { clientAddress, clientKey } from './client.js';
import { createCounter, missDelay } from './limiter.js';

/** Too many requests from one client (429); carries Retry-After. */
export class RateLimitedError extends JobdirError {
  override name = 'RateLimitedError';
  override status = 429;
  override code = 'rate_limited';
}

/** Paths where a 404/401/410 is a guess at a job, a file or a credential. */
const GUESSABLE =
  /^\/(api\/)?(jobs\/|my-jobs|admin)|^\/api\/jobs$|^\/jdispatcher\/[^/]+\/(status|resulttypes|result)\//;

/** Middleware that keep one client from flooding or guessing. */
export interface Guards {
  /** Counts submissions per client address; over `[web] submit_limit` answers 429. */
  submitLimit: MiddlewareHandler;
  /**
   * A bulk request's further jobs (its first was counted by submitLimit): each is counted
   * like a submission of its own; returns how many of those `n` are within the limit.
   */
  moreSubmits(c: Context, n: number): number;
  /**
   * After the response is known: a miss (404, 401, 410) on a job, file, my-jobs or admin
   * path is counted per client; past `[web] miss_limit` each further miss waits, the waits
   * doubling up to `[web] miss_delay` and queued per client (parallel guesses wait their
   * turn), so one address gets at most one guess per miss_delay. A client with too many
   * misses waiting is answered 429 at once.
   */
  missSlowdown: MiddlewareHandler;
}

/** The clock a miss waits by (tests give their own, to see each wait without waiting). */
export interface GuardClock {
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Guards configured by `[web]`. */
export function createGuards(
  web: WebConfig,
  { now: clock = Date.now, sleep = (ms) => new Promise((r) => setTimeout(r, ms)) }: GuardClock = {},
): Guards {
  const submits = createCounter(web.submitLimit.windowMs);
  const misses = createCounter(web.missLimit.windowMs);
  const queue = new Map<string, { nextAt: number; waiting: number }>();
  const addr = (c: Context) => clientKey(clientAddress(c, web.trustProxy));
  const minutes = (ms: number) => Math.max(1, Math.ceil(ms / 60_000));
  return {
    async submitLimit(c, next) {
      const who = addr(c);
      if (submits.hit(who) > web.submitLimit.count) {
        const wait = submits.resetIn(who);
        c.header('Retry-After', String(Math.ceil(wait / 1000)));
        throw new RateLimitedError(
          `Too many submissions from your address; nothing was kept. Please try again in ${minutes(wait)} minute${minutes(wait) === 1 ? '' : 's'}.`,
        );
      }
      await next();
    },
    moreSubmits(c, n) {
      const who = addr(c);
      let ok = 0;
      for (let i = 0; i < n; i++) if (submits.hit(who) <= web.submitLimit.count) ok++;
      return ok;
    },
    async missSlowdown(c, next) {
      const who = addr(c);
      const q = queue.get(who);
      if (q && q.waiting >= 32) {
        c.header('Retry-After', String(Math.ceil(web.missDelayMs / 1000) || 1));
        throw new RateLimitedError(
          'Too many requests for pages that do not exist came from your address. Please wait a little and try again.',
        );
      }
      await next();
      const s = c.res.status;
      if (s !== 404 && s !== 401 && s !== 410) return;
      // The form filled in from a job (/?from=ID) is a guess at a job too.
      if (!GUESSABLE.test(c.req.path) && !(c.req.path === '/' && c.req.query('from') !== undefined))
        return;
      const delay = missDelay(misses.hit(who), web.missLimit.count, web.missDelayMs);
      if (delay === 0) return;
      const now = clock();
      const e = queue.get(who) ?? { nextAt: now, waiting: 0 };
      queue.set(who, e);
      if (e.waiting >= 32) {
        c.header('Retry-After', String(Math.ceil((e.nextAt - now) / 1000) || 1));
        throw new RateLimitedError(
          'Too many requests for pages that do not exist came from your address. Please wait a little and try again.',
        );
      }
      e.nextAt = Math.max(now, e.nextAt) + delay;
      e.waiting++;
      await sleep(e.nextAt - now);
      if (--e.waiting === 0) queue.delete(who);
    },
  };
}
