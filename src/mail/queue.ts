import { promises as fs } from 'node:fs';
import { failpoint } from '../config/failpoint.js';
import { join } from 'node:path';
import type { Transporter } from 'nodemailer';
import type { Config } from '../config/index.js';
import { STATES } from '../states.js';
import { findJob, isJobId, type Store, writeDurable } from '../store/index.js';
import { type Log, silentLog } from '../log.js';

/** A message to send. */
export interface Message {
  to: string[];
  subject: string;
  text: string;
  /** Extra headers (X-Jobdir-Job …). */
  headers?: Record<string, string>;
}

/** Strip CR/LF and other control characters from anything that reaches a header. */
export function headerSafe(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, 300);
}

/**
 * One bare address: no white space, control characters, quotes, brackets or list and group
 * separators. Stripping CR/LF is not enough for a recipient: nodemailer reads
 * "eve@x Bcc: victim@y" as the group "eve@x Bcc" holding victim@y, and mails victim@y.
 */
const BARE_ADDRESS =
  /^[^\s\u0000-\u001f\u007f<>()[\]\\,;:"@]+@[^\s\u0000-\u001f\u007f<>()[\]\\,;:"@]+$/;

const load = () => import('nodemailer').then((m) => m.default);
let loaded: ReturnType<typeof load> | null = null;
/** nodemailer, loaded at the first mail: importing it is ~0.1 s, a third of a `serve` start here. */
const nodemailer = () => (loaded ??= load());

/**
 * Queue a message durably as mailq/<key>.json before the state change it announces is
 * made visible. The key is deterministic (job id + kind), so a step redone after a crash
 * rewrites the same entry instead of queueing a second mail. A recipient that is not one
 * bare address is dropped, never repaired.
 */
export async function queueMail(
  store: Store,
  cfg: Config,
  key: string,
  msg: Message,
): Promise<void> {
  const to = msg.to.filter((a) => BARE_ADDRESS.test(a));
  if (to.length === 0) return;
  const built = await (
    await nodemailer()
  )
    .createTransport({ streamTransport: true, buffer: true, newline: 'unix' })
    .sendMail({
      from: cfg.email.from,
      to,
      subject: headerSafe(msg.subject),
      text: msg.text,
      headers: Object.fromEntries(
        Object.entries(msg.headers ?? {}).map(([k, v]) => [k, headerSafe(v)]),
      ),
    });
  const raw = (built.message as Buffer).toString('utf8');
  const envelope = { from: built.envelope.from, to: built.envelope.to };
  await writeDurable(
    join(store.mailq, `${key.replace(/[^A-Za-z0-9._-]/g, '_')}.json`),
    JSON.stringify({ envelope, raw }),
  );
}

/** Sends what is queued: to the SMTP server of [email], or into the outbox as .eml files. */
export interface Mailer {
  /** Deliver everything queued now; failures stay queued and are retried (MAIL_RETRY). Returns how many were delivered. */
  flush(): Promise<number>;
  close(): void;
}

/**
 * How a refused mail is retried on its own (not only at the next job's end or rescan): after
 * firstMs, doubling up to maxMs, at most `times` in a row; then the rescan takes over.
 */
export const MAIL_RETRY = { firstMs: 1000, maxMs: 5 * 60_000, times: 12 } as const;

/** A mailer for `cfg`: SMTP when [email] host is set, else the outbox folder. */
export function createMailer(store: Store, cfg: Config, log: Log = silentLog): Mailer {
  const host = cfg.email.host;
  /** The SMTP transport, made at the first mail to send (flush runs one pass at a time). */
  let smtp: Transporter | null = null;
  const transport = async (): Promise<Transporter> =>
    (smtp ??= (await nodemailer()).createTransport({
      host: host!,
      port: cfg.email.port,
      secure: cfg.email.secure,
      ignoreTLS: !cfg.email.secure && host === '127.0.0.1',
      auth: cfg.email.user ? { user: cfg.email.user, pass: cfg.email.password ?? '' } : undefined,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    }));
  let running: Promise<number> | null = null;
  let again = false;
  let failed = 0;
  let retries = 0;
  let retry: NodeJS.Timeout | null = null;
  let closed = false;
  /** After a pass that left refused mail: try again after the backoff (one timer at a time). */
  const scheduleRetry = (): void => {
    if (failed === 0) {
      retries = 0;
      return;
    }
    if (closed || retry || retries >= MAIL_RETRY.times) return;
    const ms = Math.min(MAIL_RETRY.maxMs, MAIL_RETRY.firstMs * 2 ** retries++);
    retry = setTimeout(() => {
      retry = null;
      void mailer.flush().catch((err: Error) => log('mail_failed', { error: err.message }));
    }, ms);
    retry.unref();
  };
  const once = async (): Promise<number> => {
    let sent = 0;
    const names = (await fs.readdir(store.mailq))
      .filter((n) => n.endsWith('.json') && !n.startsWith('.'))
      .sort();
    for (const name of names) {
      const path = join(store.mailq, name);
      try {
        // A job's mail is queued in FINALIZING, before the rename that ends the job. Until
        // that rename it is held back: a crash there redoes the step and rewrites the same
        // key, so the user gets one mail, not one per attempt at finishing.
        const id = name.slice(0, name.indexOf('.'));
        if (isJobId(id) && (await findJob(store, id))?.state === STATES.FINALIZING) continue;
        const { envelope, raw } = JSON.parse(await fs.readFile(path, 'utf8')) as {
          envelope: { from: string; to: string[] };
          raw: string;
        };
        if (host) {
          await (await transport()).sendMail({ envelope, raw });
          failpoint('mail:sent');
          await fs.unlink(path);
        } else {
          await writeDurable(join(store.outbox, name.replace(/\.json$/, '.eml')), raw);
          await fs.unlink(path);
        }
        sent++;
        log('mail_sent', { key: name, to: envelope.to, via: host ? 'smtp' : 'outbox' });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        failed++;
        log('mail_failed', { key: name, error: (err as Error).message });
      }
    }
    return sent;
  };
  const mailer: Mailer = {
    async flush() {
      if (running) {
        again = true;
        return running;
      }
      running = (async () => {
        let n = 0;
        do {
          again = false;
          failed = 0;
          n += await once();
        } while (again);
        return n;
      })();
      try {
        return await running;
      } finally {
        running = null;
        scheduleRetry();
      }
    },
    close() {
      closed = true;
      if (retry) clearTimeout(retry);
      smtp?.close();
      smtp = null;
    },
  };
  return mailer;
}
