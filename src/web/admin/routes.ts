import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { Config } from '../../config/index.js';
import { InputError, NotFoundError } from '../../errors.js';
import {
  ADMIN,
  type AdminEnv,
  cancelJob,
  deleteJob,
  failJob,
  resubmitJob,
  showJob,
} from '../../ops/admin.js';
import type { Backend } from '../../lifecycle/backend.js';
import { dashboardSource } from '../../ops/dashboard.js';
import type { Log } from '../../log.js';
import type { Service } from '../../service/types.js';
import { STATES } from '../../states.js';
import {
  type Catalog,
  type Census,
  findJob,
  isJobId,
  jobDir,
  openJobFile,
  readJob,
  type Store,
} from '../../store/index.js';
import { parseQuery, type Query, type SearchPage, searchPage } from '../../ops/search.js';
import { adminSearchPage } from '../../../templates/admin-search.js';
import {
  ADMIN_ACTIONS,
  type AdminAction,
  confirmPage,
  dashboardPage,
  dashboardPanel,
} from '../../../templates/admin.js';
import { adminJobPage } from '../../../templates/admin-job.js';
import { fileResponse } from '../download.js';
import { adminJobView, LOG_BYTES } from './job-page.js';
import { bodyLimit, readForm, SMALL_BODY_BYTES } from '../body.js';
import { issueCsrf, verifyCsrf } from '../security/csrf.js';
import { LIVE_JS } from './live.js';
import type { Frame } from '../../../templates/views.js';
import { siteOf } from '../site.js';

/** What the dashboard needs. */
export interface AdminRoutesOptions {
  cfg: Config;
  service: Service;
  store: Store;
  log: Log;
  census: Census;
  /** The index of every job behind the search (src/store/catalog.ts). */
  catalog: Catalog;
  backend?: Backend | null;
  frame: Frame;
  /** How often an open dashboard is sent a fresh panel (default 2 s). */
  liveMs?: number;
}

/**
 * /admin (behind adminAuth, mounted by app.ts): the dashboard, its live updates as
 * server-sent events (/admin/events, read by the same-origin /admin/live.js; the CSP
 * allows no inline script), a page per job, and the admin actions as CSRF-checked form
 * posts with a confirmation page in between.
 */
export function adminRoutes(o: AdminRoutesOptions): Hono<{ Variables: { adminUser: string } }> {
  const app = new Hono<{ Variables: { adminUser: string } }>();
  const data = dashboardSource({
    cfg: o.cfg,
    store: o.store,
    census: o.census,
    inProcessBackend: !!o.backend,
    scheduler: o.backend?.scheduler ?? null,
  });
  const env = (): AdminEnv => ({
    cfg: o.cfg,
    service: o.service,
    store: o.store,
    log: o.log,
    backend: o.backend ?? null,
  });
  const site = siteOf(o.cfg);
  const csrf = (c: Context) => issueCsrf(c, site);
  const liveMs = o.liveMs ?? 2000;

  app.get('/', async (c) => {
    const done = c.req.query('done');
    const id = c.req.query('job') ?? '';
    let note: string | null = null;
    if (done && Object.hasOwn(ADMIN_ACTIONS, done) && isJobId(id)) {
      const now = await findJob(o.store, id);
      note = `${ADMIN_ACTIONS[done as AdminAction].label}: job ${id} ${now ? `is now ${now.state}` : 'no longer exists'}.`;
    }
    c.header('Cache-Control', 'no-store');
    const page = dashboardPage(o.frame, await data(0), csrf(c), note);
    // An admin here may search next: start reading the jobs' config files (a big store's take seconds).
    void o.catalog.view().catch(() => {});
    return c.html(page);
  });

  app.get('/jobs', async (c) => {
    const t0 = performance.now();
    const text = (c.req.query('q') ?? '').trim();
    const pageText = c.req.query('page') ?? '1';
    // Wait a little for a first reading of the store; past that, say what is not read yet.
    const view = await o.catalog.view({ waitMs: 2000 });
    const types = [...new Set([...o.service.jobTypes.map((t) => t.name), ...view.types])].sort();
    let query: Query | null = null;
    let result: SearchPage | null = null;
    let error: string | null = null;
    try {
      if (!/^[1-9]\d{0,6}$/.test(pageText))
        throw new InputError({ page: `"${pageText.slice(0, 20)}" is not a page number (1, 2, …)` });
      query = parseQuery(text, types);
      // Still counting a big store for the first time: no hits yet (the page says so).
      if (!view.counting) result = searchPage(view, query, Number(pageText));
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      error = Object.entries(err.fields)
        .map(([k, v]) => `${k === 'q' ? 'The search' : 'The page'} ${v}.`)
        .join(' ');
    }
    const failures: Record<string, string> = {};
    for (const h of result?.hits ?? []) {
      if (h.state !== STATES.FAILED) continue;
      const job = await readJob({
        id: h.id,
        state: h.state,
        dir: jobDir(o.store, h.state, h.id),
      }).catch(() => null);
      if (job?.result.failure) failures[h.id] = job.result.failure.slice(0, 200);
    }
    c.header('Cache-Control', 'no-store');
    return c.html(
      adminSearchPage(o.frame, {
        q: text,
        read: query?.read ?? [],
        result,
        error,
        failures,
        types,
        tookMs: performance.now() - t0,
        asOf: view.at,
        counting: view.counting,
      }),
      // Still counting a big store for the first time: "try again in a moment", and the page reloads itself.
      view.counting ? 503 : error ? 400 : 200,
    );
  });

  app.get('/live.js', (c) =>
    c.body(LIVE_JS, 200, {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'no-cache',
    }),
  );

  app.get('/events', (c) => {
    const token = csrf(c);
    c.header('Cache-Control', 'no-store');
    // nginx buffers a proxied answer by default, which would hold the events back.
    c.header('X-Accel-Buffering', 'no');
    return streamSSE(c, async (stream) => {
      let open = true;
      stream.onAbort(() => void (open = false));
      let last = '';
      let quiet = 0;
      while (open) {
        const d = await data(liveMs / 2);
        const panel = String(await dashboardPanel(d, token, site.base));
        if (panel !== last) {
          await stream.writeSSE({ event: 'panel', data: JSON.stringify({ html: panel }) });
          last = panel;
          quiet = 0;
        } else if ((quiet += liveMs) >= 15_000) {
          await stream.writeSSE({ event: 'ping', data: '' });
          quiet = 0;
        }
        // A huge store makes a scan slow: keep the census under ~10% of a core.
        await stream.sleep(Math.max(liveMs, Math.round(d.scan.tookMs * 10)));
      }
    });
  });

  app.get('/jobs/:id', async (c) => {
    const d = await showJob(env(), c.req.param('id'), { logBytes: LOG_BYTES });
    c.header('Cache-Control', 'no-store');
    return c.html(
      adminJobPage(
        o.frame,
        await adminJobView({ cfg: o.cfg, service: o.service, base: site.base }, d, csrf(c)),
      ),
    );
  });

  app.get('/jobs/:id/files/:name', async (c) => {
    const id = c.req.param('id');
    const ref = isJobId(id) ? await findJob(o.store, id) : null;
    if (!ref) throw new NotFoundError(`No job with id "${id.slice(0, 40)}" was found.`);
    const name = c.req.param('name');
    const file = await openJobFile(ref, name, o.cfg.web.maxDownloadBytes);
    if (!file)
      throw new NotFoundError(
        `Job ${id} has no file "${name.slice(0, 80)}" that can be served (a regular file at the top of its directory, at most [web] max_download).`,
      );
    return fileResponse(file, name);
  });

  app.post('/jobs/:id/:action', bodyLimit(SMALL_BODY_BYTES), async (c) => {
    const body = await readForm(c);
    verifyCsrf(c, body.csrf);
    const id = c.req.param('id');
    const action = c.req.param('action');
    if (!Object.hasOwn(ADMIN_ACTIONS, action))
      throw new NotFoundError('There is no such admin action.');
    const ref = isJobId(id) ? await findJob(o.store, id) : null;
    if (!ref) throw new NotFoundError(`No job with id "${id.slice(0, 40)}" was found.`);
    const act = action as AdminAction;
    if (body.confirm !== 'yes') {
      const job = await readJob(ref).catch(() => null);
      return c.html(
        confirmPage(o.frame, {
          id,
          state: ref.state,
          type: job?.settings.type ?? '',
          action: act,
          csrf: csrf(c),
        }),
      );
    }
    const user = c.get('adminUser');
    const by = `${ADMIN} (${user})`;
    if (act === 'resubmit') await resubmitJob(env(), id);
    else if (act === 'cancel') await cancelJob(env(), id, by);
    else if (act === 'fail') await failJob(env(), id);
    else await deleteJob(env(), id);
    o.log('admin_action', { job: id, action: act, user, was: ref.state });
    return c.redirect(site.to(`/admin?done=${act}&job=${id}`), 303);
  });

  return app;
}
