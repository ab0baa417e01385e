import { Hono, type Context } from 'hono';
import { getSignedCookie, setSignedCookie } from 'hono/cookie';
import { secureHeaders } from 'hono/secure-headers';
import { InputError, JobdirError, messageOf } from '../errors.js';
import type { ChildRequest, Service } from '../service/types.js';
import { validateSubmission } from '../service/validate.js';
import { STATES } from '../states.js';
import { clientAddress, clientKey } from './security/client.js';
import { type SubmitEnv, submitValid } from './submit.js';
import { formPage } from '../../templates/form.js';
import { errorPage, resultsPage } from '../../templates/pages.js';
import { bodyLimit, readForm, submissionLimit } from './body.js';
import { cancelRoutes, webCancel } from './cancel.js';
import { downloadResultFile } from './download.js';
import { jobView } from './view.js';
import { jobPageExtras, prefillFrom } from './job-page.js';
import { assetRoutes } from './assets.js';
import { createJobCache } from './job-cache.js';
import { adminAuth, type AdminCredentials } from './security/admin-auth.js';
import { adminApi } from './api/admin.js';
import { createApi } from './api/index.js';
import { myJobsRoutes } from './my-jobs.js';
import { issueCsrf, verifyCsrf } from './security/csrf.js';
import { createGuards } from './security/guards.js';
import { refuseCrossSite } from './security/origin.js';
import type { Backend } from '../lifecycle/backend.js';
import { createMetrics, type Metrics } from '../metrics/prometheus.js';
import { type Census, createCatalog, createCensus, jobDir, readJobTimes } from '../store/index.js';
import { adminRoutes } from './admin/routes.js';
import { jdispatcherError, jdispatcherRoutes } from './jdispatcher/index.js';
import { opsRoutes } from './ops.js';
import { requestLog } from './request-log.js';
import { pathWithoutPrefix, siteOf } from './site.js';

/** What the web layer needs: where its submissions go, and more. */
export interface WebOptions extends SubmitEnv {
  service: Service;
  secret: string;
  /** Submit a job that waits for job `parent` (the API's `after`): the backend records it in the parent. */
  startAfter?: (parent: string, request: ChildRequest) => Promise<string>;
  /** Cancel a job (same process); otherwise the web writes the request (as the dashboard does) and the backend acts. */
  cancel?: (id: string, by: string) => Promise<void>;
  /** Jobs ahead of `id` in the queue, when known. */
  queuePosition?: (id: string) => number | null;
  /** Largest submission body accepted (default: the service's derived need, capped by [web] max_body). */
  maxBodyBytes?: number;
  /** Users of /admin and /api/admin (read once at start from [web] admin_credentials); null: refused. */
  adminCredentials?: AdminCredentials | null;
  /** Deliver queued mail now (my-jobs links), when this process has a mailer. */
  flushMail?: () => void;
  /** The backend in this process (the dashboard's actions and health use it); null in split mode. */
  backend?: Backend | null;
  /** This process's Prometheus metrics (fed by its log); one without events by default. */
  metrics?: Metrics;
  /** The cached census of the job directories (dashboard, /metrics); made here by default. */
  census?: Census;
}

const EMAIL_COOKIE = 'jobdir_email';
const TOO_LARGE = 'The submission is larger than this service accepts, so nothing was kept.';

/** The hono app: form, submission, results pages and downloads. */
export function createApp(o: WebOptions): Hono {
  const { cfg, service, store, log } = o;
  const site = siteOf(cfg);
  // Requests arrive with the prefix or without it (site.ts): routes see the path without.
  const app = new Hono({ getPath: pathWithoutPrefix(site.base) });
  const frame = {
    serviceName: cfg.general.serviceName,
    github: cfg.general.github,
    base: site.base,
  };
  const census = o.census ?? createCensus(store);
  // The first census stats every job directory once (1.7 s for 100k): start it now, not on the first dashboard.
  void census.snapshot().catch((err) => log('census_failed', { error: messageOf(err) }));
  const metrics =
    o.metrics ??
    createMetrics(
      service.jobTypes.map((t) => t.name),
      (id, ended) => readJobTimes(store, { id, state: ended, dir: jobDir(store, ended, id) }),
    );

  app.use('*', requestLog(log));

  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        scriptSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
      referrerPolicy: 'no-referrer',
      // A service under a path of the lab's host must not pin HTTPS on the whole domain (and
      // its subdomains) for months: HSTS is the lab's web server's to send, or not.
      strictTransportSecurity: false,
    }),
  );

  const guards = createGuards(cfg.web);
  app.use('*', guards.missSlowdown);
  // Other sites' pages may not change anything here, on any route (origin.ts).
  app.use('*', refuseCrossSite(cfg.general.urltop));
  app.on('POST', ['/jobs'], guards.submitLimit);

  const admin = adminAuth(o.adminCredentials ?? null);
  for (const p of ['/admin', '/admin/*', '/api/admin', '/api/admin/*']) app.use(p, admin);
  // [web] metrics_auth: scrapers then send the admin's user and password (basic_auth).
  if (cfg.web.metricsAuth) app.use('/metrics', admin);
  app.route('/api/admin', adminApi());
  app.route(
    '/admin',
    adminRoutes({
      cfg,
      service,
      store,
      log,
      census,
      catalog: createCatalog(store, census),
      backend: o.backend ?? null,
      frame,
    }),
  );
  app.route(
    '/',
    opsRoutes({
      cfg,
      store,
      census,
      metrics,
      inProcessBackend: !!o.backend,
      schedulerQueued: o.backend ? () => o.backend!.scheduler.queuedCount() : undefined,
    }),
  );
  const canceller = webCancel(o);
  app.route('/api', createApi({ ...o, cancel: canceller.cancel, guards }));
  app.route('/my-jobs', myJobsRoutes({ ...o, guards, frame }));
  app.route('/assets', assetRoutes());
  app.route('/jdispatcher', jdispatcherRoutes({ ...o, guards }));

  const csrfToken = (c: Context): string => issueCsrf(c, site);

  const showForm = async (
    c: Context,
    typeName: string | undefined,
    values: Record<string, string>,
    errors: Record<string, string>,
    status: 200 | 400 | 404 | 410 | 413,
    notice?: string,
  ) => {
    const type = service.jobTypes.find((t) => t.name === typeName) ?? service.jobTypes[0]!;
    const email = (await getSignedCookie(c, o.secret, EMAIL_COOKIE)) || '';
    return c.html(
      formPage({
        ...frame,
        types: service.jobTypes,
        type,
        values: { email, ...values },
        errors,
        email: service.email ?? 'optional',
        csrf: csrfToken(c),
        description: service.description,
        timeLimitMs: cfg.jobs[type.name]?.timeLimitMs ?? null,
        exampleUrl: type.example ? site.to(`/?type=${type.name}&example`) : undefined,
        notice,
      }),
      status,
    );
  };

  // The form: fresh, filled in with the type's example, or with an earlier job's parameters.
  app.get('/', async (c) => {
    const q = c.req.query();
    if (q.from !== undefined) {
      const { type, values, notice, status } = await prefillFrom(store, service, q.from);
      return showForm(c, type, values, {}, status, notice);
    }
    const type = service.jobTypes.find((t) => t.name === q.type);
    if (q.example !== undefined && type?.example)
      return showForm(
        c,
        type.name,
        { ...type.example },
        {},
        200,
        'The form is filled in with an example: submit it to see what the results look like.',
      );
    return showForm(c, q.type, {}, {}, 200);
  });

  app.post(
    '/jobs',
    bodyLimit(submissionLimit(cfg.web, service, o.maxBodyBytes), TOO_LARGE),
    async (c) => {
      const raw = await readForm(c);
      // What the form is shown again with, on bad input (not uploads, not huge fields).
      const values: Record<string, string> = Object.create(null);
      for (const [k, one] of Object.entries(raw))
        if (typeof one === 'string' && one.length <= 10_000) values[k] = one;
      verifyCsrf(c, raw.csrf);
      let valid;
      try {
        valid = validateSubmission(service, raw, ['csrf']);
      } catch (err) {
        if (err instanceof InputError)
          return showForm(
            c,
            typeof raw.type === 'string' ? raw.type : undefined,
            values,
            err.fields,
            err.status === 413 ? 413 : 400,
          );
        throw err;
      }
      const ref = await submitValid(o, valid, clientKey(clientAddress(c, cfg.web.trustProxy)));
      if (valid.email)
        await setSignedCookie(c, EMAIL_COOKIE, valid.email, o.secret, {
          httpOnly: true,
          sameSite: 'Lax',
          secure: site.secure,
          path: site.cookiePath,
          maxAge: 365 * 86400,
        });
      return c.redirect(site.to(`/jobs/${ref.id}`), 303);
    },
  );

  const pages = createJobCache<string>(store, { freshMs: 0 });
  app.get('/jobs/:id', async (c) =>
    c.html(
      await pages(c.req.param('id'), async (job) => {
        const pos = job.state === STATES.INCOMING ? (o.queuePosition?.(job.id) ?? 0) : null;
        const view = await jobView(cfg, service, job, pos, csrfToken(c), store);
        if (view.cancellable && !(await canceller.available(job))) view.cancellable = false;
        const extras = await jobPageExtras(cfg, service, job, view);
        // A finished job's page has no form (no CSRF token) and no self-refresh: the same for everyone.
        return {
          value: resultsPage(frame, { ...view, ...extras }),
          cacheable: !view.cancellable && view.refresh === null && !view.children?.length,
        };
      }),
    ),
  );

  app.route('/jobs', cancelRoutes({ ...o, canceller }));

  app.get('/jobs/:id/files/:name', (c) =>
    downloadResultFile(o, c.req.param('id'), c.req.param('name')),
  );

  app.notFound((c) =>
    c.req.path.startsWith('/api/')
      ? c.json(
          { error: { code: 'not_found', message: 'There is no API endpoint at this address.' } },
          404,
        )
      : c.html(
          errorPage(
            frame,
            404,
            'There is no page at this address.',
            'Check the link, or start from the form.',
          ),
          404,
        ),
  );

  app.onError((err, c) => {
    // EBI's clients read XML errors, also of the checks made for the whole app (another site's post).
    if (c.req.path.startsWith('/jdispatcher/')) return jdispatcherError(err, c, log);
    const known = err instanceof JobdirError;
    const status = known ? (err as JobdirError).status : 500;
    if (!known)
      log('web_error', { path: c.req.path, error: messageOf(err), stack: (err as Error).stack });
    const message = known
      ? err.message
      : 'Something went wrong on our side. The administrator has been told; please try again later.';
    const next =
      status === 413
        ? 'Send less (smaller or fewer files) and try again.'
        : status === 404
          ? 'Check that the link is complete: job links are long and easily cut in two.'
          : status === 410
            ? 'Results are kept for a limited time. Submit the job again to get new results.'
            : status === 503
              ? 'Please try again in a few minutes.'
              : 'Go back, correct the request and try again.';
    if (c.req.path.startsWith('/api/'))
      return c.json(
        {
          error: {
            code: known ? (err as JobdirError).code : 'internal_error',
            message,
            ...(err instanceof InputError ? { fields: err.fields } : {}),
          },
        },
        status as 400,
      );
    return c.html(errorPage(frame, status, message, next), status as 400);
  });

  return app;
}
