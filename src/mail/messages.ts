/**
 * The mails jobdir sends about jobs (and the my-jobs link), each composed here (words from templates/email.ts)
 * and queued with its key and headers. The lifecycle says when a mail is due and calls
 * these; it never imports the templates, so the core does not depend on the views.
 */
import { createHash } from 'node:crypto';
import type { Config } from '../config/index.js';
import type { Store } from '../store/index.js';
import { adminFailureMail, jobEndedMail } from '../../templates/email.js';
import { myJobsMail } from '../../templates/my-jobs.js';
import { queueMail } from './queue.js';

/** What a mail says about an ended job. */
export interface EndedJob {
  id: string;
  /** Its results page. */
  url: string;
  ok: boolean;
  failure: string | null;
}

/** Queue the mail to the submitter `to` that job `job` has ended (with a my-jobs link when given). */
export async function queueJobEndedMail(
  store: Store,
  cfg: Config,
  job: EndedJob,
  to: string,
  myJobsUrl?: string,
): Promise<void> {
  await queueMail(store, cfg, `${job.id}.user`, {
    to: [to],
    ...jobEndedMail({ service: cfg.general.serviceName, ...job, myJobsUrl }),
    headers: { 'X-Jobdir-Job': job.id },
  });
}

/** Queue the mail to the admin that job `job` failed for a technical reason (`dir`: where it is; `detail`: e.g. the end of its stderr). */
export async function queueAdminFailureMail(
  store: Store,
  cfg: Config,
  job: EndedJob & { dir: string; detail: string },
): Promise<void> {
  await queueMail(store, cfg, `${job.id}.admin`, {
    to: [cfg.general.adminEmail],
    ...adminFailureMail({ service: cfg.general.serviceName, ...job }),
    headers: { 'X-Jobdir-Job': job.id },
  });
}

/** Queue the mail of a my-jobs link `url` to `to` (a new key each time: every request gets its mail). */
export async function queueMyJobsMail(
  store: Store,
  cfg: Config,
  to: string,
  url: string,
): Promise<void> {
  const key = `myjobs-${createHash('sha256').update(to).digest('hex').slice(0, 16)}-${Date.now()}`;
  await queueMail(store, cfg, key, {
    to: [to],
    ...myJobsMail({ service: cfg.general.serviceName, url, ttlMs: cfg.web.linkTtlMs }),
  });
}
