/**
 * A client of the command socket (src/socket/protocol.ts): `jobdir submit --socket`, the
 * web in split mode, the bench. One connection carries any number of requests in order.
 */
import { connect, type Socket } from 'node:net';
import { ConflictError, JobdirError } from '../errors.js';
import { encodeValue, readAnswer } from './protocol.js';

/** One connection to the command socket. */
export interface SocketClient {
  /** Send one request line; resolves with the answer line (without its newline). */
  send(line: string): Promise<string>;
  close(): void;
}

/** Connect to the command socket at `path`. */
export function openSocketClient(path: string, { timeoutMs = 10_000 } = {}): Promise<SocketClient> {
  return new Promise((resolve, reject) => {
    const sock: Socket = connect(path);
    const waiting: { ok: (s: string) => void; fail: (e: Error) => void }[] = [];
    let buf = '';
    const failAll = (err: Error) => {
      for (const w of waiting.splice(0)) w.fail(err);
    };
    sock.setEncoding('utf8');
    sock.setTimeout(timeoutMs, () => {
      failAll(
        new JobdirError(
          `the backend did not answer on ${path} within ${Math.round(timeoutMs / 1000)} s`,
        ),
      );
      sock.destroy();
    });
    sock.on('data', (d: string) => {
      buf += d;
      for (let nl = buf.indexOf('\n'); nl !== -1; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        waiting.shift()?.ok(line);
      }
    });
    sock.once('error', (err) => {
      const e = new JobdirError(`cannot use the command socket ${path}: ${err.message}`, {
        cause: err,
      });
      failAll(e);
      reject(e);
    });
    sock.once('close', () =>
      failAll(new JobdirError(`the backend closed the command socket ${path}`)),
    );
    sock.once('connect', () =>
      resolve({
        send: (line) =>
          new Promise<string>((ok, fail) => {
            if (sock.destroyed)
              return fail(new JobdirError(`the command socket ${path} is closed`));
            waiting.push({ ok, fail });
            sock.write(`${line}\n`);
          }),
        close: () => void sock.end(),
      }),
    );
  });
}

/** Send one request on a fresh connection and close it. */
export async function socketRequest(
  path: string,
  line: string,
  opts: { timeoutMs?: number } = {},
): Promise<string> {
  const c = await openSocketClient(path, opts);
  try {
    return await c.send(line);
  } finally {
    c.close();
  }
}

/** The request line submitting `fields` (`type` names the job type). */
export function submitLine(fields: Record<string, string>): string {
  const { type = '', ...rest } = fields;
  return [type, ...Object.entries(rest).map(([k, v]) => `${k}=${encodeValue(v)}`)].join(' ');
}

/**
 * Cancel through the backend's socket, so that only the backend, under its per-job lock,
 * rewrites the job's config.ini (an `after=ID` it is recording in the same parent cannot be
 * lost): a web-only process and `jobdir cancel` ask it first. Resolves with what the backend
 * did, or null when no backend listens (then none records anything, and the caller may
 * cancel itself); a refusal is a ConflictError.
 */
export function socketCancel(path: string): (id: string, by: string) => Promise<string | null> {
  return async (id, by) => {
    let reply: string;
    try {
      reply = await socketRequest(path, `CANCEL ${id} by=${encodeValue(by)}`);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (code === 'ENOENT' || code === 'ECONNREFUSED') return null;
      throw err;
    }
    const { ok, text } = readAnswer(reply);
    if (ok) return text.replace(/^\S+ /, '');
    throw new ConflictError(text);
  };
}
