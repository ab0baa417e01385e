import { Hono } from 'hono';
import type { Config } from '../config/index.js';
import { queueMyJobsMail } from '../mail/messages.js';
import { checkEmail, EMAIL_MAX_LENGTH } from '../service/validate.js';
import { findJob, listUserJobs, readJob, type Store } from '../store/index.js';
import { myJobsPage, myJobsRequestPage } from '../../templates/my-jobs.js';
import type { Frame } from '../../templates/views.js';
import type { ApiOptions } from './api/routes.js';
import { siteOf } from './site.js';
import { bodyLimit, readForm, SMALL_BODY_BYTES } from './body.js';
import { issueCsrf, verifyCsrf } from './security/csrf.js';
import { UnauthorizedError } from './security/admin-auth.js';
import { myJobsUrl, verifyEmailToken } from './security/tokens.js';

/**
 * "My jobs" for people: GET /my-jobs asks for an address, POST /my-jobs (CSRF-checked,
 * rate-limited) mails a signed expiring link to it, GET /my-jobs/TOKEN lists the jobs.
 */
export function myJobsRoutes(o: ApiOptions & { frame: Frame; cfg: Config }): Hono {
  const app = new Hono();
  const site = siteOf(o.cfg);
  app.get('/', (c) =>
    c.html(
      myJobsRequestPage({
        ...o.frame,
        csrf: issueCsrf(c, site),
        email: '',
        sent: null,
        error: null,
      }),
    ),
  );
  app.post('/', bodyLimit(SMALL_BODY_BYTES), o.guards.submitLimit, async (c) => {
    const body = await readForm(c);
    verifyCsrf(c, body.csrf);
    const email = typeof body.email === 'string' ? body.email.trim() : '';
    const bad = checkEmail(email);
    if (bad)
      return c.html(
        myJobsRequestPage({
          ...o.frame,
          csrf: issueCsrf(c, site),
          email: email.slice(0, EMAIL_MAX_LENGTH),
          sent: null,
          error: bad,
        }),
        400,
      );
    void mailMyJobsLink(o, email);
    return c.html(
      myJobsRequestPage({
        ...o.frame,
        csrf: issueCsrf(c, site),
        email: '',
        sent: MY_JOBS_SENT,
        error: null,
      }),
    );
  });
  app.get('/:token', async (c) => {
    const email = verifyEmailToken(o.secret, c.req.param('token'));
    if (!email)
      throw new UnauthorizedError(
        'This "my jobs" link is not valid or has expired. Ask for a new one below: it is sent to your email address.',
      );
    c.header('Cache-Control', 'private, no-store');
    return c.html(
      myJobsPage({ ...o.frame, email, jobs: await userJobs(o.store, email, () => ({})) }),
    );
  });
  return app;
}

/** What the my-jobs request says, whatever the address. */
export const MY_JOBS_SENT =
  'If this address has jobs here, a link to them is on its way to it. The link works for a limited time.';

/** Mail `email` a my-jobs link if it has jobs (in the background: the reply never waits, so its timing says nothing). */
export async function mailMyJobsLink(
  o: Pick<ApiOptions, 'cfg' | 'store' | 'secret' | 'log' | 'flushMail'>,
  email: string,
): Promise<void> {
  try {
    if ((await listUserJobs(o.store, email)).length === 0) return;
    const url = myJobsUrl(o.cfg.general.urltop, o.secret, email, o.cfg.web.linkTtlMs);
    await queueMyJobsMail(o.store, o.cfg, email, url);
    o.flushMail?.();
  } catch (err) {
    o.log('my_jobs_mail_failed', { error: (err as Error).message });
  }
}

/** The jobs in `email`'s index, newest first (at most 1000). */
export async function userJobs(
  store: Store,
  email: string,
  links: (id: string) => Record<string, string>,
) {
  const ids = (await listUserJobs(store, email)).slice(0, 1000);
  const jobs = await Promise.all(
    ids.map(async (id) => {
      const ref = await findJob(store, id);
      if (!ref) return null;
      const job = await readJob(ref).catch(() => null);
      if (!job || job.settings.email !== email) return null;
      return {
        id,
        state: job.state,
        type: job.settings.type,
        submitted: job.settings.submitted,
        links: links(id),
      };
    }),
  );
  return jobs.filter((j) => j !== null).sort((a, b) => b.submitted.localeCompare(a.submitted));
}
