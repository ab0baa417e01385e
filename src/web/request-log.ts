import type { MiddlewareHandler } from 'hono';
import type { Log } from '../log.js';

const JOB_PATH = /^\/(?:api\/|admin\/)?jobs\/([a-z]{12,40})(?:\/|$)/;

/**
 * One structured log line per request (`web_request`): method, path, status, duration and
 * the job id when the path names one. Query strings are left out and my-jobs links' tokens
 * are masked (either would let a log reader list someone's jobs).
 * Server-sent event streams are logged when they start. A 5xx answer is logged at level error.
 */
export function requestLog(log: Log): MiddlewareHandler {
  return async (c, next) => {
    const t0 = performance.now();
    let status = 500;
    try {
      await next();
      status = c.res.status;
    } finally {
      const job = JOB_PATH.exec(c.req.path)?.[1];
      log('web_request', {
        method: c.req.method,
        path: c.req.path.replace(/^\/my-jobs\/.+$/, '/my-jobs/(token)').slice(0, 200),
        status,
        ms: Math.round((performance.now() - t0) * 10) / 10,
        ...(job ? { job } : {}),
        ...(status >= 500 ? { level: 'error' } : {}),
      });
    }
  };
}
