import type { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { InputError, JobdirError } from '../errors.js';
import type { Service } from '../service/types.js';
import { maxSubmissionBytes, type Upload } from '../service/validate.js';

/**
 * The one way a route reads its request body. A route states its limit with
 * `bodyLimit(n)`: a Content-Length over it is answered 413 before a byte is read, and a
 * body without one (chunked) is counted while it streams in and refused the moment it
 * passes the limit. A route that states none gets SMALL_BODY_BYTES. Either way the 413
 * carries `Connection: close`: the rest of the body is never read, so the connection
 * cannot be reused. Under @hono/node-server the body is read from the Node request
 * itself (no undici Request around it: that detour was 452 of the spine bench's
 * 1,000-submission CPU profile, 71 ms without it); under app.request() from the
 * WHATWG stream. Multipart is parsed from the bounded bytes by undici's FormData.
 */

/** 413: a request body larger than its route accepts. */
export class TooLargeError extends JobdirError {
  override name = 'TooLargeError';
  override status = 413;
  override code = 'too_large';
}

/** The limit of a route that states none: a form of a few short fields (a CSRF token, an address). */
export const SMALL_BODY_BYTES = 16 * 1024;

const TOO_LARGE = 'The request is larger than this address accepts, so nothing was kept.';

/** The limit a submission route (POST /jobs, POST /api/jobs) applies: the service's derived need, capped by [web] max_body. */
export function submissionLimit(
  web: { maxBodyBytes: number },
  service: Service,
  override?: number,
): number {
  return override ?? Math.min(web.maxBodyBytes, maxSubmissionBytes(service));
}

/** A body-limit middleware; `maxBytes` lets the route list (and its test) read the limit back. */
export type BodyLimit = MiddlewareHandler & { readonly maxBytes: number };

const limits = new WeakMap<Request, { maxBytes: number; message: string }>();

/** The route's body limit: refuse a Content-Length over `maxBytes` at once (413); the readers hold a streamed body to it. */
export function bodyLimit(maxBytes: number, message = TOO_LARGE): BodyLimit {
  const mw: MiddlewareHandler = async (c, next) => {
    limits.set(c.req.raw, { maxBytes, message });
    checkLength(c, maxBytes, message);
    await next();
  };
  return Object.assign(mw, { maxBytes });
}

function tooLarge(c: Context, message: string): TooLargeError {
  // The rest of the body is never read: tell the client not to reuse this connection.
  c.header('Connection', 'close');
  lingerAfterAnswer(c);
  return new TooLargeError(message);
}

const LINGER_MS = 2000;
const lingering = new WeakSet<object>();

/**
 * Let the 413 reach a client that is still sending. Closing a socket with unread bytes
 * makes the kernel send a reset at once, which can throw away the answer before the
 * client has read it (a 100 MiB chunked upload saw "connection reset", not the 413). So
 * the answer is followed by a FIN, the socket stops reading (what is in flight stays in
 * the kernel's buffers, not in this process) and is destroyed LINGER_MS later, by
 * when a client that reads its answers has it and has stopped.
 */
function lingerAfterAnswer(c: Context): void {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  const socket = incoming?.socket;
  if (!incoming || !socket) return;
  socket.destroySoon = function lingeringClose(this: typeof socket) {
    if (lingering.has(this)) return;
    lingering.add(this);
    this.end();
    // Stay paused: node's and node-server's clean-up of an unread body would resume it.
    const hold = () => void this.pause();
    this.on('resume', hold);
    hold();
    const timer = setTimeout(() => this.destroy(), LINGER_MS);
    timer.unref();
    this.once('close', () => clearTimeout(timer));
  };
}

function checkLength(c: Context, maxBytes: number, message: string): void {
  const length = c.req.header('content-length')?.trim();
  if (length !== undefined && /^\d+$/.test(length) && Number(length) > maxBytes)
    throw tooLarge(c, message);
}

/** The request body's bytes, at most the route's limit (413 once it passes it, while it streams). */
export async function readBody(c: Context): Promise<Buffer> {
  const { maxBytes, message } = limits.get(c.req.raw) ?? {
    maxBytes: SMALL_BODY_BYTES,
    message: TOO_LARGE,
  };
  checkLength(c, maxBytes, message);
  const over = () => tooLarge(c, message);
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (incoming && typeof incoming.on === 'function' && !incoming.readableDidRead)
    return readIncoming(incoming, maxBytes, over);
  const stream = c.req.raw.body;
  if (!stream) return Buffer.alloc(0);
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks, size);
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw over();
    }
    chunks.push(value);
  }
}

function readIncoming(
  incoming: IncomingMessage,
  maxBytes: number,
  over: () => Error,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (err: Error | null) => {
      incoming.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      if (err) reject(err);
      else resolve(Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) return void chunks.push(chunk);
      // Keep nothing more; the 413 goes out with Connection: close and the rest is dropped unread.
      chunks.length = 0;
      settle(over());
    };
    const onEnd = () => settle(null);
    const onError = () => settle(new InputError({ body: 'did not arrive complete' }));
    const onClose = () =>
      settle(incoming.readableEnded ? null : new InputError({ body: 'did not arrive complete' }));
    incoming.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

/** The request's media type, lower case, without parameters ('' when none is sent). */
export const mediaType = (c: Context): string =>
  (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();

/**
 * How deep a JSON body may nest. No route's body nests deeper than 2 (a bulk array of flat
 * objects); the bound leaves a route's own checks to name a plausible mistake (an array where
 * text goes) and refuses the absurd before any code walks it. JSON.parse itself does not
 * recurse (a body nested 1,000,000 deep parses on Node 20 and 24), but String(), join(),
 * JSON.stringify and structuredClone of a value nested 100,000 deep overflow the stack.
 */
export const MAX_JSON_DEPTH = 32;

/** One level of tooDeep's walk: a container, its keys (an object's), how far it has gone, where it is. */
interface Level {
  v: Record<string, unknown> | unknown[];
  keys: string[] | null;
  i: number;
  at: string;
}

const isContainer = (x: unknown): x is Record<string, unknown> | unknown[] =>
  typeof x === 'object' && x !== null;

/**
 * Where `value` nests deeper than `max` levels, or null: the key of the body's field that
 * does (`text`; in an array of objects `[3].text`), else `body`. An iterative walk holding one
 * entry per level (at most max + 1), whatever the width or depth of the value: it cannot
 * overflow the stack, and it never goes below `max`.
 */
export function tooDeep(value: unknown, max = MAX_JSON_DEPTH): string | null {
  if (!isContainer(value)) return null;
  const bulk = Array.isArray(value);
  const level = (v: Level['v'], at: string): Level => ({
    v,
    keys: Array.isArray(v) ? null : Object.keys(v),
    i: 0,
    at,
  });
  const levels = [level(value, 'body')];
  while (levels.length) {
    const up = levels[levels.length - 1]!;
    const i = up.i++;
    if (i >= (up.keys ?? (up.v as unknown[])).length) {
      levels.pop();
      continue;
    }
    const key = up.keys?.[i];
    const x = key === undefined ? (up.v as unknown[])[i] : (up.v as Record<string, unknown>)[key];
    if (!isContainer(x)) continue;
    // A field is named at the body's first level, or at its elements' when it is an array of objects.
    const at =
      levels.length === 1
        ? key !== undefined
          ? key.slice(0, 60)
          : Array.isArray(x)
            ? 'body'
            : `[${i}]`
        : levels.length === 2 && bulk && key !== undefined
          ? `${up.at}.${key.slice(0, 60)}`
          : up.at;
    if (levels.length + 1 > max) return at;
    levels.push(level(x, at));
  }
  return null;
}

/** The body parsed as JSON: 400 when it is not JSON, or nests deeper than MAX_JSON_DEPTH (naming the field that does). */
export async function readJson(c: Context): Promise<unknown> {
  const text = (await readBody(c)).toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InputError({ body: 'is not valid JSON' });
  }
  checkDepth(value);
  return value;
}

/** 400 naming where `value` nests deeper than MAX_JSON_DEPTH (see tooDeep). */
export function checkDepth(value: unknown): void {
  const at = tooDeep(value);
  if (at) throw new InputError({ [at]: `is nested deeper than ${MAX_JSON_DEPTH} levels` });
}

/**
 * A form body's fields (urlencoded or multipart), the last value of each name; files as
 * Uploads. A null-prototype object: a field named `__proto__` or `toString` is data.
 * Another media type reads as no fields. 400 when the body is not the form it claims.
 */
export async function readForm(c: Context): Promise<Record<string, string | Upload>> {
  const type = mediaType(c);
  const bytes = await readBody(c);
  const form: Record<string, string | Upload> = Object.create(null);
  if (type === 'application/x-www-form-urlencoded') {
    for (const [k, v] of new URLSearchParams(bytes.toString('utf8'))) form[k] = v;
    return form;
  }
  if (type !== 'multipart/form-data') return form;
  let parsed: FormData;
  try {
    parsed = await new Response(bytes as Uint8Array<ArrayBuffer>, {
      headers: { 'content-type': c.req.header('content-type')! },
    }).formData();
  } catch {
    throw new InputError({ form: 'the request body could not be read as a form' });
  }
  for (const [k, v] of parsed) {
    form[k] =
      typeof v === 'string'
        ? v
        : { filename: v.name, type: v.type, data: new Uint8Array(await v.arrayBuffer()) };
  }
  return form;
}
