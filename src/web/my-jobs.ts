import { Hono } from 'hono';
import type { Config } from '../config/index.js';
import { checkEmail } from '../service/validate.js';
import { myJobsPage, myJobsRequestPage } from '../../templates/my-jobs.js';
import { type ApiOptions, MY_JOBS_SENT, mailMyJobsLink, userJobs } from './api/routes.js';
import { bodyLimit, readForm, SMALL_BODY_BYTES } from './body.js';
import { issueCsrf, verifyCsrf } from './security/csrf.js';
import { UnauthorizedError } from './security/admin-auth.js';
import { verifyEmailToken } from './security/tokens.js';

/**
 * "My jobs" for people: GET /my-jobs asks for an address, POST /my-jobs (CSRF-checked,
 * rate-limited) mails a signed expiring link to it, GET /my-jobs/TOKEN lists the jobs.
 */
export function myJobsRoutes(o: ApiOptions & { frame: { serviceName: string; github: string | null }; cfg: Config }): Hono {
  const app = new Hono();
  const secure = o.cfg.general.urltop.startsWith('https:');
  app.get('/', (c) => c.html(myJobsRequestPage({ ...o.frame, csrf: issueCsrf(c, secure), email: '', sent: null, error: null })));
  app.post('/', bodyLimit(SMALL_BODY_BYTES), o.guards.submitLimit, async (c) => {
    const body = await readForm(c);
    verifyCsrf(c, body.csrf);
    const email = typeof body.email === 'string' ? body.email.trim() : '';
    const bad = checkEmail(email);
    if (bad) return c.html(myJobsRequestPage({ ...o.frame, csrf: issueCsrf(c, secure), email: email.slice(0, 254), sent: null, error: bad }), 400);
    void mailMyJobsLink(o, email);
    return c.html(myJobsRequestPage({ ...o.frame, csrf: issueCsrf(c, secure), email: '', sent: MY_JOBS_SENT, error: null }));
  });
  app.get('/:token', async (c) => {
    const email = verifyEmailToken(o.secret, c.req.param('token'));
    if (!email) throw new UnauthorizedError('This "my jobs" link is not valid or has expired. Ask for a new one below: it is sent to your email address.');
    c.header('Cache-Control', 'private, no-store');
    return c.html(myJobsPage({ ...o.frame, email, jobs: await userJobs(o.store, email, () => ({})) }));
  });
  return app;
}
