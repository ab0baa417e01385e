import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { Hono } from 'hono';
import { type Config, loadConfig } from '../config/index.js';
import { createBackend, type Backend } from '../lifecycle/backend.js';
import { reportFatal } from '../ops/fatal.js';
import { acquireStateLock, type StateLock } from '../ops/statefile.js';
import { checkBackendUser } from '../ops/user.js';
import { startSweeper } from '../ops/sweep.js';
import { createLog, type Log } from '../log.js';
import { loadService } from '../service/load.js';
import type { Service } from '../service/types.js';
import { createMetrics } from '../metrics/prometheus.js';
import { jobDir, openStore, readJobTimes, type Store } from '../store/index.js';
import { createApp } from '../web/app.js';
import { loadSecret } from '../web/secret.js';
import { loadAdminCredentials } from '../web/security/admin-auth.js';
import { myJobsUrl } from '../web/security/tokens.js';
import { socketNotifier, socketStartAfter, startBackendSocket } from '../socket/index.js';

/** A running service: web + backend in one process. */
export interface Running {
  cfg: Config;
  service: Service;
  store: Store;
  backend: Backend | null;
  url: string;
  server: ServerType;
  /** Said at start: `--port` and a urltop that names another port. */
  warnings: string[];
  /** The hono app itself (tests drive it with app.request()). */
  app: Hono;
  /** The state-file lock (null in web-only mode). */
  lock: StateLock | null;
  close(): Promise<void>;
  /** An unrecoverable error: record it in the state file (lockout), mail the admin, close. */
  fatal(err: unknown): Promise<void>;
}

/** Options for `startService`. */
export interface ServeOptions {
  /** Override [web] port (0: any free port). */
  port?: number;
  /** Run the web only (split mode): no backend in this process. */
  webOnly?: boolean;
  log?: Log;
}

/**
 * What `serve --port N` says when urltop names another port: pages and mails would send
 * people to urltop's port, not to this server. Null when urltop names this port, or none (a
 * proxy's public address such as https://lab.example.org/svc).
 */
export function portWarning(cfg: Config, port: number): string | null {
  const named = new URL(cfg.general.urltop).port;
  if (!named || Number(named) === port) return null;
  return `warning: this server listens on port ${port}, but ${cfg.file}: [general] urltop = ${cfg.general.urltop} names port ${named}; links in pages and mails lead there. Set urltop to the address people reach this server at (or leave --port out).`;
}

/** Load the config and service, start the backend (unless webOnly) and the HTTP server. */
export async function startService(
  configFile: string,
  { port, webOnly = false, log: baseLog = createLog('jobdir') }: ServeOptions = {},
): Promise<Running> {
  const cfg = loadConfig(configFile, (msg) => baseLog('config_notice', { message: msg }));
  const service = await loadService(cfg);
  const store = await openStore(cfg);
  // /metrics counts what this process logs: submissions (web) and job ends (backend).
  const metrics = createMetrics(
    service.jobTypes.map((t) => t.name),
    (id, ended) => readJobTimes(store, { id, state: ended, dir: jobDir(store, ended, id) }),
  );
  const log = metrics.tap(baseLog);
  const adminCredentials = cfg.web.adminCredentials
    ? await loadAdminCredentials(cfg.web.adminCredentials)
    : null;
  if (!webOnly) checkBackendUser(cfg);
  const lock = webOnly ? null : await acquireStateLock(cfg.backend.stateFile);
  const secret = await loadSecret(cfg.web.secretFile);
  const backend = webOnly
    ? null
    : createBackend({
        cfg,
        service,
        store,
        log,
        myJobsUrl: (email) => myJobsUrl(cfg.general.urltop, secret, email, cfg.web.linkTtlMs),
      });
  if (backend) {
    try {
      await backend.start();
    } catch (err) {
      await backend.stop().catch(() => {});
      await reportFatal({ cfg, store, log }, lock, err);
      await lock?.release();
      throw err;
    }
  }
  const sweeper = backend ? startSweeper({ cfg, service, store, log, backend }) : null;
  // [general] socket: the backend listens; a web-only process tells it of new jobs there.
  const sock =
    backend && cfg.general.socket
      ? await startBackendSocket({ cfg, service, store, log, backend }).catch(
          async (err: unknown) => {
            await sweeper?.stop();
            await backend.stop();
            await lock?.release();
            throw err;
          },
        )
      : null;
  const notifier = !backend && cfg.general.socket ? socketNotifier(cfg.general.socket, log) : null;
  const app = createApp({
    cfg,
    service,
    store,
    log,
    secret,
    metrics,
    backend,
    adminCredentials,
    flushMail: backend ? () => void backend.mailer.flush() : undefined,
    tell: backend ?? notifier ?? undefined,
    startAfter: backend
      ? (parent, request) => backend.startAfter(parent, request)
      : cfg.general.socket
        ? socketStartAfter(cfg.general.socket)
        : undefined,
    cancel: backend ? async (id, by) => void (await backend.cancel(id, by)) : undefined,
    queuePosition: backend ? (id) => backend.scheduler.position(id) : undefined,
  });
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve(
      {
        fetch: app.fetch,
        hostname: cfg.web.host,
        port: port ?? cfg.web.port,
        // Slow or oversized clients: headers must arrive within headers_timeout, the whole request within request_timeout.
        serverOptions: {
          headersTimeout: Math.min(cfg.web.headersTimeoutMs, cfg.web.requestTimeoutMs),
          requestTimeout: cfg.web.requestTimeoutMs,
          maxHeaderSize: cfg.web.maxHeaderSize,
          connectionsCheckingInterval: Math.max(
            100,
            Math.min(30_000, cfg.web.headersTimeoutMs / 4),
          ),
        },
      },
      () => resolve(s),
    );
    s.once('error', reject);
  });
  server.setTimeout?.(120_000);
  const addr = server.address() as AddressInfo;
  const url = `http://${addr.address.includes(':') ? `[${addr.address}]` : addr.address}:${addr.port}`;
  log('web_ready', { url, service: service.name });
  const mismatch = port === undefined ? null : portWarning(cfg, addr.port);
  async function close(): Promise<void> {
    // Let requests in flight finish (up to 2 s), drop idle keep-alive connections at once.
    // The ref'd timer also keeps the process alive while the server closes.
    const srv = server as { closeIdleConnections?: () => void; closeAllConnections?: () => void };
    const force = setTimeout(() => srv.closeAllConnections?.(), 2000);
    await new Promise<void>((r) => {
      server.close(() => r());
      srv.closeIdleConnections?.();
    });
    clearTimeout(force);
    await sock?.close();
    notifier?.close();
    await sweeper?.stop();
    await backend?.stop();
    await lock?.release();
  }
  return {
    cfg,
    service,
    store,
    backend,
    url,
    server,
    warnings: mismatch ? [mismatch] : [],
    app,
    lock,
    close,
    async fatal(err) {
      await reportFatal({ cfg, store, log }, lock, err);
      (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      await close().catch(() => {});
    },
  };
}
