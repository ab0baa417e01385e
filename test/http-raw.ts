/**
 * HTTP/1.1 by hand, for tests that must see what a server does before a body has
 * arrived: a request whose declared Content-Length is far larger than what is sent at
 * first, or a chunked body that keeps coming. No library in between buffers or retries.
 */
import { connect, type Socket } from 'node:net';

/** What the server answered, and how much of the body had been written when it did. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Body bytes handed to the socket before the answer's headers arrived. */
  wrote: number;
  /** Body bytes the request had to send in all. */
  total: number;
}

/** A request to send by hand. */
export interface RawRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  /** Filler bytes in the body (written 64 KiB at a time, waiting for the socket to drain). */
  bodyBytes?: number;
  /** Text sent before and after the filler (e.g. `csrf=…&pad=` and nothing, or `{"email":"…"` and `}`). */
  prefix?: string;
  suffix?: string;
  /** Declared Content-Length (default: bodyBytes); ignored when chunked. */
  contentLength?: number;
  /** Send the body chunked (Transfer-Encoding), with the final empty chunk once it is all written. */
  chunked?: boolean;
  /** The byte the body is made of (default "a"). */
  fill?: number;
}

const CHUNK = 64 * 1024;

function* bodyPieces(req: RawRequest): Generator<Buffer> {
  if (req.prefix) yield Buffer.from(req.prefix);
  const piece = Buffer.alloc(CHUNK, req.fill ?? 0x61);
  for (let left = req.bodyBytes ?? 0; left > 0; left -= CHUNK)
    yield left >= CHUNK ? piece : piece.subarray(0, left);
  if (req.suffix) yield Buffer.from(req.suffix);
}

/**
 * Send `req` to `url` on a fresh connection, writing the body while no answer has come;
 * resolve with the answer once its body is complete or the server closes. Writing stops
 * as soon as the answer's headers arrive, so `wrote` tells whether the server answered
 * before it had the whole body.
 */
export function rawRequest(url: string, req: RawRequest): Promise<RawAnswer> {
  const u = new URL(url);
  const pieces = bodyPieces(req);
  const total = [...bodyPieces(req)].reduce((n, b) => n + b.length, 0);
  const head = [
    `${req.method ?? 'POST'} ${req.path} HTTP/1.1`,
    `Host: ${u.host}`,
    ...(req.chunked
      ? ['Transfer-Encoding: chunked']
      : total > 0 || req.contentLength !== undefined
        ? [`Content-Length: ${req.contentLength ?? total}`]
        : []),
    ...Object.entries(req.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
    '',
    '',
  ].join('\r\n');
  return new Promise((resolve, reject) => {
    const sock: Socket = connect(Number(u.port), u.hostname);
    let got = Buffer.alloc(0);
    let answered: { status: number; headers: Record<string, string>; bodyAt: number } | null = null;
    let wrote = 0;
    let wroteAtAnswer = 0;
    let done = false;
    const finish = () => {
      if (done) return;
      if (!answered)
        return void reject(
          new Error(
            `the server closed the connection without an answer (after ${wrote} body bytes)`,
          ),
        );
      done = true;
      sock.destroy();
      resolve({
        status: answered.status,
        headers: answered.headers,
        body: got.subarray(answered.bodyAt).toString('utf8'),
        wrote: wroteAtAnswer,
        total,
      });
    };
    sock.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (!answered) {
        const end = got.indexOf('\r\n\r\n');
        if (end === -1) return;
        const lines = got.subarray(0, end).toString('latin1').split('\r\n');
        const headers: Record<string, string> = {};
        for (const l of lines.slice(1))
          headers[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
        answered = { status: Number(lines[0]!.split(' ')[1]), headers, bodyAt: end + 4 };
        wroteAtAnswer = wrote;
      }
      const length = Number(answered.headers['content-length'] ?? NaN);
      if (Number.isFinite(length) && got.length - answered.bodyAt >= length) finish();
    });
    sock.on('error', () => finish());
    sock.on('close', () => finish());
    sock.on('connect', async () => {
      sock.write(head);
      for (const data of pieces) {
        if (answered || sock.destroyed) break;
        const n = data.length;
        const ok = sock.write(
          req.chunked
            ? Buffer.concat([Buffer.from(`${n.toString(16)}\r\n`), data, Buffer.from('\r\n')])
            : data,
        );
        wrote += n;
        if (!ok)
          await new Promise<void>((r) => {
            const go = () => {
              sock.off('drain', go).off('close', go).off('data', go);
              r();
            };
            sock.on('drain', go).on('close', go).on('data', go);
          });
      }
      if (req.chunked && !answered && !sock.destroyed) sock.write('0\r\n\r\n');
    });
  });
}
