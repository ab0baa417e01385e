/**
 * The backend's command socket: local scripts submit jobs and ask about them, and a
 * separate web process (split mode) tells the backend of new jobs at once. It runs in
 * the backend process only. The socket file is made 0660 (owner and group): its
 * permissions and its folder's decide who may use it.
 *
 * A slow or hostile client never holds up others: each connection has an idle timeout,
 * a line-length limit, at most one request in progress (reading pauses meanwhile), and
 * the server serves at most `maxConnections` at once (more get `ERR … busy` and are closed).
 */
import { promises as fs } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { InputError, JobdirError, messageOf } from '../errors.js';
import type { Log } from '../log.js';
import { answer, MAX_LINE_BYTES, parseRequest, type Request } from './protocol.js';

/** Requests one connection may send ahead of their answers. */
const MAX_PENDING = 1000;

/** What the socket does with a request; each resolves to the text after ACK, or throws (→ ERR). */
export interface SocketHandlers {
  submit(fields: Record<string, string>): Promise<string>;
  /**
   * Many submissions sent one after another without waiting (pipelined): made in one group
   * commit, answered in order (each its id, or the error that refused it).
   */
  submitMany?(list: Record<string, string>[]): Promise<(string | Error)[]>;
  status(id: string): Promise<string>;
  /** Stop a job (the one cancel of src/lifecycle/cancel.ts); says what happened. */
  cancel(id: string, by?: string): Promise<string>;
  notify(id: string): Promise<string>;
}

/** Limits of one command socket. */
export interface SocketOptions {
  /** A connection silent this long is closed (default 10 s). */
  idleMs?: number;
  maxConnections?: number;
  maxLineBytes?: number;
  log?: Log;
}

/** A listening command socket. */
export interface CommandSocket {
  path: string;
  close(): Promise<void>;
}

/** Listen on `path` (a stale socket left by a killed backend is replaced; any other file is refused). */
export async function startCommandSocket(
  path: string,
  handlers: SocketHandlers,
  {
    idleMs = 10_000,
    maxConnections = 256,
    maxLineBytes = MAX_LINE_BYTES,
    log = () => {},
  }: SocketOptions = {},
): Promise<CommandSocket> {
  // sun_path holds 108 bytes; the hidden name used while the mode is set is longer than `path`.
  if (Buffer.byteLength(join(dirname(path), `.${basename(path)}.${process.pid}.tmp`)) > 107) {
    throw new JobdirError(
      `[general] socket: ${path} is too long for a Unix socket (at most about 90 bytes); choose a shorter path.`,
    );
  }
  await clearStale(path);
  let open = 0;
  const conns = new Set<Socket>();
  const server = createServer({ allowHalfOpen: false }, (sock) => {
    if (open >= maxConnections) {
      // Over the limit: a one-line answer, then the connection is gone (no request is read).
      sock.on('error', () => {});
      sock.end(answer('ERR', `the backend is busy (${maxConnections} connections); try again`));
      sock.resume(); // read (and drop) until the client's end, so the socket closes
      return;
    }
    open++;
    conns.add(sock);
    sock.once('close', () => {
      open--;
      conns.delete(sock);
    });
    serveConnection(sock, handlers, idleMs, maxLineBytes, log);
  });
  server.on('error', (err) => log('socket_error', { error: messageOf(err) }));
  // Listen on a hidden name, set the mode, then rename into place: never reachable with a wider mode.
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  await fs.rm(tmp, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ path: tmp, backlog: 1024 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  await fs.chmod(tmp, 0o660);
  await fs.rename(tmp, path);
  log('socket_ready', { path });
  return {
    path,
    close: async () => {
      const closing = closeServer(server, path);
      // Kept connections (a web-only notifier, a script) are ended: answers already written go out first.
      for (const c of conns) {
        c.end();
        setTimeout(() => c.destroy(), 1000).unref();
      }
      await closing;
    },
  };
}

async function clearStale(path: string): Promise<void> {
  const st = await fs.lstat(path).catch(() => null);
  if (!st) return;
  if (!st.isSocket())
    throw new JobdirError(
      `[general] socket: ${path} exists and is not a socket; jobdir will not replace it.`,
    );
  const alive = await new Promise<boolean>((resolve) => {
    const c = connect(path);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
  if (alive) throw new JobdirError(`[general] socket: another process is listening on ${path}.`);
  await fs.rm(path, { force: true });
}

function serveConnection(
  sock: Socket,
  h: SocketHandlers,
  idleMs: number,
  maxLine: number,
  log: Log,
): void {
  let chunks: Buffer[] = [];
  let size = 0;
  let busy = false;
  let closed = false;
  /** A line begun must end within idleMs, however slowly its bytes trickle in. */
  let lineTimer: NodeJS.Timeout | null = null;
  const pending: Buffer[] = [];
  sock.setTimeout(idleMs, () => {
    if (busy) return;
    sock.end(answer('ERR', `no complete request within ${Math.round(idleMs / 1000)} s; closing`));
    sock.destroySoon();
  });
  sock.on('error', () => {});
  sock.on('close', () => {
    closed = true;
    if (lineTimer) clearTimeout(lineTimer);
  });
  const refuse = (why: string) => {
    if (closed) return;
    closed = true;
    if (lineTimer) clearTimeout(lineTimer);
    sock.end(answer('ERR', why));
    sock.resume(); // the rest is dropped (closed), and the client's end closes the socket
    setTimeout(() => sock.destroy(), 1000).unref();
  };
  const next = async (): Promise<void> => {
    const line = pending.shift();
    if (!line) {
      busy = false;
      sock.resume();
      return;
    }
    busy = true;
    sock.pause();
    const req = parseRequest(line);
    // Submissions already waiting behind this one are committed together with it.
    const batch: Record<string, string>[] = [];
    if (req.kind === 'submit' && h.submitMany) {
      while (pending.length) {
        const more = parseRequest(pending[0]!);
        if (more.kind !== 'submit') break;
        pending.shift();
        batch.push(more.fields);
      }
    }
    const reply = await (
      batch.length
        ? submitBatch(h, [(req as { fields: Record<string, string> }).fields, ...batch], log)
        : handle(req, h)
    ).catch((err) => {
      // A client's mistake (an unknown id, bad input, a job in the wrong state) is not an error of the server.
      if (err instanceof JobdirError && err.status < 500)
        log('socket_request_refused', { reason: messageOf(err), code: err.code });
      else log('socket_request_failed', { error: messageOf(err) });
      return answer(
        'ERR',
        err instanceof JobdirError ? err.message : 'the request failed; see the backend log',
      );
    });
    // A client that sends without reading its answers is not buffered for: wait for the drain.
    if (!sock.destroyed && !sock.write(reply))
      await new Promise((r) => {
        sock.once('drain', r);
        sock.once('close', r);
      });
    return next();
  };
  sock.on('data', (data: Buffer) => {
    if (closed) return;
    let start = 0;
    for (let nl = data.indexOf(10); nl !== -1; nl = data.indexOf(10, start)) {
      const part = data.subarray(start, nl);
      if (size + part.length > maxLine)
        return refuse(`the line is longer than ${maxLine} bytes; closing`);
      if (pending.length >= MAX_PENDING)
        return refuse(
          `more than ${MAX_PENDING} requests sent without waiting for answers; closing`,
        );
      pending.push(size ? Buffer.concat([...chunks, part]) : Buffer.from(part));
      chunks = [];
      size = 0;
      start = nl + 1;
      if (lineTimer) clearTimeout(lineTimer);
      lineTimer = null;
    }
    const rest = data.subarray(start);
    if (size + rest.length > maxLine)
      return refuse(`the line is longer than ${maxLine} bytes; closing`);
    if (rest.length) {
      chunks.push(Buffer.from(rest));
      size += rest.length;
      lineTimer ??= setTimeout(
        () => refuse(`the line did not end within ${Math.round(idleMs / 1000)} s; closing`),
        idleMs,
      );
    }
    if (pending.length && !busy) void next();
  });
}

/** Answer lines for a batch of pipelined submissions, in order. */
async function submitBatch(
  h: SocketHandlers,
  list: Record<string, string>[],
  log: Log,
): Promise<string> {
  const out = await h.submitMany!(list);
  return out
    .map((r) => {
      if (!(r instanceof Error)) return answer('ACK', r);
      if (!(r instanceof JobdirError && r.status < 500))
        log('socket_request_failed', { error: messageOf(r) });
      return answer(
        'ERR',
        r instanceof JobdirError ? r.message : 'the request failed; see the backend log',
      );
    })
    .join('');
}

async function handle(req: Request, h: SocketHandlers): Promise<string> {
  try {
    switch (req.kind) {
      case 'error':
        return answer('ERR', req.message);
      case 'status':
        return answer('ACK', await h.status(req.id));
      case 'cancel':
        return answer('ACK', await h.cancel(req.id, req.by));
      case 'notify':
        return answer('ACK', await h.notify(req.id));
      case 'submit':
        return answer('ACK', await h.submit(req.fields));
    }
  } catch (err) {
    if (err instanceof InputError) return answer('ERR', err.message);
    throw err;
  }
}

async function closeServer(server: Server, path: string): Promise<void> {
  await new Promise<void>((r) => server.close(() => r()));
  await fs.rm(path, { force: true });
}
