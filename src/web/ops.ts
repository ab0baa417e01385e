import { Hono } from 'hono';
import type { Config } from '../config/index.js';
import { checkHealth } from '../ops/health.js';
import type { Metrics, Sample } from '../metrics/prometheus.js';
import { ALL_STATES } from '../states.js';
import type { Census, Store } from '../store/index.js';

/** What /healthz and /metrics need. */
export interface OpsOptions {
  cfg: Config;
  store: Store;
  census: Census;
  metrics: Metrics;
  /** A backend runs in this process. */
  inProcessBackend: boolean;
  /** Jobs queued in this process's scheduler, when a backend runs here. */
  schedulerQueued?: () => number;
}

/**
 * /healthz: the backend alive, the state file healthy and free disk on each state folder's
 * filesystem; 200 when all are, 503 otherwise (JSON either way). /metrics: Prometheus text.
 * Neither needs credentials by default (load balancers and scrapers call them; `[web]
 * metrics_auth = yes` puts /metrics behind the admin's), so neither names a job or a path
 * on the server (the dashboard shows those).
 */
export function opsRoutes(o: OpsOptions): Hono {
  const app = new Hono();
  const health = () =>
    checkHealth({
      stateFile: o.cfg.backend.stateFile,
      store: o.store,
      minFreeBytes: o.cfg.web.minFreeDiskBytes,
      inProcessBackend: o.inProcessBackend,
    });

  app.get('/healthz', async (c) => {
    const h = await health();
    c.header('Cache-Control', 'no-store');
    const { path: _file, ...stateFile } = h.stateFile;
    return c.json(
      { ...h, stateFile, disks: h.disks.map(({ path: _dir, ...d }) => d) },
      h.ok ? 200 : 503,
    );
  });

  app.get('/metrics', async (c) => {
    const [snap, h] = await Promise.all([o.census.snapshot(0), health()]);
    const g: Sample[] = ALL_STATES.map((state) => ({
      name: 'jobdir_jobs',
      help: 'Jobs per state (directories in each state folder).',
      labels: { state },
      value: snap.counts[state],
    }));
    g.push({
      name: 'jobdir_backend_up',
      help: '1 when a backend holds the state file lock.',
      value: h.backend.alive ? 1 : 0,
    });
    g.push({
      name: 'jobdir_state_file_ok',
      help: '1 when the state file records no fatal error.',
      value: h.stateFile.ok ? 1 : 0,
    });
    for (const d of h.disks) {
      g.push({
        name: 'jobdir_disk_free_bytes',
        help: 'Free bytes on the filesystem holding these state folders.',
        labels: { states: d.states.join(',') },
        value: d.freeBytes,
      });
    }
    if (o.schedulerQueued)
      g.push({
        name: 'jobdir_scheduler_queued',
        help: "Jobs waiting in this process's scheduler.",
        value: o.schedulerQueued(),
      });
    g.push({
      name: 'jobdir_census_scan_seconds',
      help: 'Time the last scan of the state folders took.',
      value: snap.tookMs / 1000,
    });
    c.header('Cache-Control', 'no-store');
    return c.body(o.metrics.render(g), 200, {
      'content-type': 'text/plain; version=0.0.4; charset=utf-8',
    });
  });
  return app;
}
