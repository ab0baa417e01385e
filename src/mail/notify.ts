import { spawn } from 'node:child_process';
import type { Config, NotifyTargets } from '../config/index.js';
import { messageOf } from '../errors.js';
import type { Log } from '../log.js';
import type { Store } from '../store/index.js';
import { headerSafe, queueMail } from './queue.js';

/** What a notification says about one ended job. */
export interface JobEnd {
  id: string;
  type: string;
  ok: boolean;
  failure: string | null;
  url: string;
}

/** One line for syslog / a subject: `slowdiv divide job bcdfgh completed` (+ why it failed). */
export function notifyLine(service: string, e: JobEnd): string {
  return headerSafe(
    `${service} ${e.type} job ${e.id} ${e.ok ? 'completed' : `failed: ${e.failure ?? 'unknown'}`}`,
  );
}

/**
 * Write one line to syslog through util-linux `logger` on a Unix socket (default /dev/log),
 * priority user.info or user.err. Node has no Unix datagram sockets; `logger` is in every
 * Debian base system. The line is passed as argv, never through a shell. Rejects with
 * logger's own message when the socket is missing or refuses.
 */
export function writeSyslog(
  socket: string,
  tag: string,
  priority: 'info' | 'err',
  line: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(
      'logger',
      ['--socket-errors=on', '-u', socket, '-t', tag, '-p', `user.${priority}`, '--', line],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let err = '';
    p.stderr.on('data', (d: Buffer) => void (err += d.toString()));
    p.once('error', reject);
    p.once('close', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`logger exited ${code}: ${err.trim().slice(0, 300)}`)),
    );
  });
}

/**
 * Announce a job's end to its type's `notify_success` / `notify_fail` targets. Mail is
 * queued durably under a deterministic key (`<id>.notify`), so redoing the finalize step
 * after a crash rewrites the same entry instead of sending twice; a syslog line may repeat
 * in that case (at least once). Never throws: a failed notification is logged and the job
 * carries on. Resolves true when a mail was queued (the caller flushes the queue).
 */
export async function notifyJobEnd(
  store: Store,
  cfg: Config,
  e: JobEnd,
  log: Log,
): Promise<boolean> {
  const t: NotifyTargets | undefined = e.ok
    ? cfg.jobs[e.type]?.notifySuccess
    : cfg.jobs[e.type]?.notifyFail;
  if (!t) return false;
  const line = notifyLine(cfg.general.serviceName, e);
  if (t.mail.length) {
    await queueMail(store, cfg, `${e.id}.notify`, {
      to: t.mail,
      subject: `${cfg.general.serviceName}: ${e.type} job ${e.id} ${e.ok ? 'completed' : 'failed'}`,
      text: [
        line,
        '',
        `Results: ${e.url}`,
        '',
        `(sent because [job ${e.type}] ${e.ok ? 'notify_success' : 'notify_fail'} names this address)`,
      ].join('\n'),
      headers: { 'X-Jobdir-Job': e.id, 'X-Jobdir-Notify': e.ok ? 'success' : 'fail' },
    }).catch((err) => log('notify_failed', { job: e.id, via: 'mail', error: messageOf(err) }));
  }
  if (t.syslog) {
    await writeSyslog(cfg.backend.syslogSocket, t.syslog, e.ok ? 'info' : 'err', line).catch(
      (err) => log('notify_failed', { job: e.id, via: 'syslog', error: messageOf(err) }),
    );
  }
  return t.mail.length > 0;
}
