import { constants, promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { Hono } from 'hono';
import type { Config } from '../config/index.js';
import { UnavailableError } from '../errors.js';
import { cancelJob } from '../ops/admin.js';
import type { Log } from '../log.js';
import type { Service } from '../service/types.js';
import { STATES } from '../states.js';
import { getJob, type JobRef, type Store } from '../store/index.js';
import { bodyLimit, readForm, SMALL_BODY_BYTES } from './body.js';
import { verifyCsrf } from './security/csrf.js';
import { jobView } from './view.js';
import { siteOf } from './site.js';

/** What cancelling from the web needs. */
export interface WebCancelOptions {
  cfg: Config;
  service: Service;
  store: Store;
  log: Log;
  /** The backend in this process cancels; without one the web takes the dashboard's path. */
  cancel?: (id: string, by: string) => Promise<void>;
}

/** How the web cancels a job, and whether it can. */
export interface WebCancel {
  /** Cancel job `id` on behalf of `by`; 503 when this process may not touch the job's files. */
  cancel(id: string, by: string): Promise<void>;
  /** Whether `cancel` can work for this job here (the results page shows its button only then). */
  available(job: JobRef): Promise<boolean>;
}

const UNAVAILABLE =
  "Cancelling is not available from this web server (it may not change the job's files); ask the administrator.";
const DENIED = new Set(['EACCES', 'EPERM', 'EROFS']);

/**
 * The backend in this process when there is one; otherwise (`serve --web-only`) the path the
 * dashboard takes, ops' cancelJob: the backend listening on the socket cancels, or, when none
 * listens, cancelJob writes a durable CANCEL marker and stops the
 * wrapper's process group, and the backend, wherever it runs, ends the job as cancelled
 * (a queued job is finished here at once). A web process that may not write the job's
 * folder (another user) cannot cancel: the page hides the button and the route says 503.
 */
export function webCancel(o: WebCancelOptions): WebCancel {
  if (o.cancel) return { cancel: o.cancel, available: async () => true };
  const env = { cfg: o.cfg, service: o.service, store: o.store, log: o.log, backend: null };
  return {
    async cancel(id, by) {
      try {
        // As the in-process backend does: once the request is durable, not after the kill grace.
        await cancelJob(env, id, by, { wait: false });
      } catch (err) {
        if (DENIED.has((err as NodeJS.ErrnoException).code ?? ''))
          throw new UnavailableError(UNAVAILABLE, { cause: err });
        throw err;
      }
    },
    async available(job) {
      return fs
        .access(job.dir, constants.W_OK)
        .then(() => fs.access(dirname(job.dir), constants.W_OK))
        .then(
          () => true,
          () => false,
        );
    },
  };
}

/**
 * POST /jobs/:id/cancel, the results page's Cancel button: a small CSRF-checked form.
 * Unknown and malformed ids get the results page's 404, after the same lookups.
 */
export function cancelRoutes(o: WebCancelOptions & { canceller: WebCancel }): Hono {
  const app = new Hono();
  const site = siteOf(o.cfg);
  app.post('/:id/cancel', bodyLimit(SMALL_BODY_BYTES), async (c) => {
    const form = await readForm(c);
    verifyCsrf(c, form.csrf);
    const job = await getJob(o.store, c.req.param('id'));
    // An archived job answers 410, as its results page does.
    if (job.state === STATES.ARCHIVED) await jobView(o.cfg, o.service, job, null);
    if (!(await o.canceller.available(job))) throw new UnavailableError(UNAVAILABLE);
    await o.canceller.cancel(job.id, 'the user');
    return c.redirect(site.to(`/jobs/${job.id}`), 303);
  });
  return app;
}
