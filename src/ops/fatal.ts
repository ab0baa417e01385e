/**
 * An unrecoverable backend error: recorded in the state file (which then locks the backend
 * out until the admin removes it), logged, and mailed to the admin. Never throws: it runs
 * on the way down.
 */
import type { Config } from '../config/index.js';
import { messageOf } from '../errors.js';
import type { Log } from '../log.js';
import { createMailer, queueMail } from '../mail/queue.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Store } from '../store/index.js';
import type { StateLock } from './statefile.js';

const reported = new WeakSet<object>();

/** True when `err` went through reportFatal already (so a caller up the stack does not report it twice). */
export function wasReported(err: unknown): boolean {
  return typeof err === 'object' && err !== null && reported.has(err);
}

/**
 * Record, log and mail a fatal error (mail delivery is given at most `mailWaitMs`). With
 * no store (it could not be opened) the mail is queued in a temporary folder instead.
 */
export async function reportFatal(
  env: { cfg: Config; store: Store | null; log: Log },
  lock: StateLock | null,
  err: unknown,
  mailWaitMs = 20_000,
): Promise<void> {
  const { cfg, log } = env;
  if (typeof err === 'object' && err !== null) reported.add(err);
  const store =
    env.store ??
    ({
      mailq: mkdtempSync(join(tmpdir(), 'jobdir-fatal-mail-')),
      outbox: cfg.email.outbox,
    } as Store);
  const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
  log('backend_fatal', { error: messageOf(err), stack: detail });
  await lock
    ?.recordFatal(messageOf(err))
    .catch((e) => log('backend_fatal_unrecorded', { error: messageOf(e) }));
  try {
    await queueMail(store, cfg, 'backend.fatal', {
      to: [cfg.general.adminEmail],
      subject: `${cfg.general.serviceName}: the backend stopped after an unrecoverable error`,
      text: [
        `The ${cfg.general.serviceName} backend on ${cfg.hostname} (pid ${process.pid}) stopped after this error:`,
        '',
        detail,
        '',
        `It will refuse to start until ${cfg.backend.stateFile} is removed. Fix the cause, remove the file, then run:`,
        `  jobdir start --config ${cfg.file}`,
        '',
        'Jobs already running carry on; queued jobs wait. Nothing was lost.',
      ].join('\n'),
    });
    const mailer = createMailer(store, cfg, log);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([mailer.flush(), new Promise((r) => (timer = setTimeout(r, mailWaitMs)))]);
    clearTimeout(timer);
    mailer.close();
  } catch (e) {
    log('backend_fatal_unmailed', { error: messageOf(e) });
  }
}
