import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Upload } from '../service/validate.js';

/**
 * Request bodies without the detour through a WHATWG Request. Under @hono/node-server,
 * hono's bodyLimit (it looks at `raw.body`) and parseBody (it asks undici for FormData)
 * each build an undici Request or Response around the body; for the common form post,
 * a few hundred bytes of urlencoded text, undici's share of the spine bench's CPU profile
 * was 452 ms per 1,000 submissions (71 ms after this). Here the size is checked from Content-Length and a
 * urlencoded body is read as text (node-server's direct path) and split by URLSearchParams,
 * the same WHATWG parser FormData uses. Multipart bodies and bodies without a length
 * still go through hono's own code.
 */

/** Refuse bodies over `maxSize` bytes: by Content-Length when given, else while reading (hono's bodyLimit). */
export function limitBody(options: { maxSize: number; onError: (c: Context) => Response | Promise<Response> }): MiddlewareHandler {
  const streamed = bodyLimit(options);
  return async (c, next) => {
    const length = c.req.header('content-length');
    if (length === undefined || c.req.header('transfer-encoding') !== undefined || !/^\d+$/.test(length.trim())) return streamed(c, next);
    if (Number(length) > options.maxSize) return options.onError(c);
    await next();
  };
}

/** A form body's fields, the last value of each name (a repeated name keeps its last); files as Uploads. */
export async function readForm(c: Context): Promise<Record<string, string | Upload>> {
  const type = c.req.header('content-type')?.split(';')[0]!.trim().toLowerCase();
  const form: Record<string, string | Upload> = Object.create(null);
  if (type === 'application/x-www-form-urlencoded') {
    for (const [k, v] of new URLSearchParams(await c.req.text())) form[k] = v;
    return form;
  }
  for (const [k, v] of Object.entries(await c.req.parseBody({ all: true }))) {
    const one = Array.isArray(v) ? v[v.length - 1] : v;
    if (one === undefined) continue;
    form[k] = typeof one === 'string' ? one : { filename: one.name, type: one.type, data: new Uint8Array(await one.arrayBuffer()) };
  }
  return form;
}
