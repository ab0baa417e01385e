/**
 * What the admin dashboard shows, gathered from the store: counts per state, the queue in
 * order, running jobs (run time, progress, where they run), recent failures with their
 * error, and activity charts. The queue is in start order (scheduler/queue-view.ts). The census (one readdir per state folder) finds the jobs;
 * config.ini is read only for the few rows shown.
 */
import type { Config } from '../config/index.js';
import { activityCharts, type ActivitySeries } from '../metrics/activity.js';
import { runnerKind, runnerRegistry } from '../runners/index.js';
import { STATES, type State } from '../states.js';
import {
  type Census,
  type JobStamp,
  jobDir,
  type Progress,
  readJob,
  readMarkers,
  readProgress,
  type Store,
} from '../store/index.js';
import type { Scheduler, SubmitterCount } from '../scheduler/index.js';
import { queueViewSource } from '../scheduler/queue-view.js';
import { checkHealth, type Health } from './health.js';

/** A queued job, in the order jobs will start. */
export interface QueueRow {
  id: string;
  position: number;
  type: string;
  email: string;
  /** Whom it counts against in the fair share (admins only). */
  submitter: string;
  submitted: number;
}

/** A job being prepared, run or finished. */
export interface RunningRow {
  id: string;
  state: State;
  type: string;
  submitted: number;
  started: number | null;
  attempt: number;
  progress: Progress | null;
  where: string;
  cancelRequested: boolean;
}

/** A failed job. */
export interface FailureRow {
  id: string;
  type: string;
  email: string;
  finished: number;
  kind: string;
  failure: string;
}

/** Everything on the dashboard. */
export interface DashboardData {
  now: number;
  counts: Record<State, number>;
  queue: QueueRow[];
  queueTotal: number;
  /** Per submitter, jobs waiting and holding a slot (admins only). */
  submitters: SubmitterCount[];
  running: RunningRow[];
  failures: FailureRow[];
  failuresTotal: number;
  hourly: ActivitySeries;
  daily: ActivitySeries;
  health: Health;
  scan: { tookMs: number; statted: number; jobs: number };
}

/** What gathering needs. */
export interface DashboardEnv {
  cfg: Config;
  store: Store;
  census: Census;
  inProcessBackend: boolean;
  /** The in-process backend's scheduler; without one the queue order is rebuilt from disk. */
  scheduler?: Scheduler | null;
}

const ACTIVE_RUN: readonly State[] = [
  STATES.PREPROCESSING,
  STATES.RUNNING,
  STATES.POSTPROCESSING,
  STATES.FINALIZING,
];

/** A gatherer that reuses a census younger than `maxAgeMs` (shared by every open dashboard). */
export function dashboardSource(
  env: DashboardEnv,
  { rows = 50, failures = 20 } = {},
): (maxAgeMs?: number) => Promise<DashboardData> {
  const runners = runnerRegistry(env.cfg);

  const queueView = queueViewSource(env.cfg, async (id, active) => {
    const states = active ? [STATES.PREPROCESSING, STATES.RUNNING] : [STATES.INCOMING];
    for (const state of states) {
      const job = await readJob({ id, state, dir: jobDir(env.store, state, id) }).catch(() => null);
      if (job) return job.config;
    }
    return null;
  });

  return async (maxAgeMs = 0) => {
    const snap = await env.census.snapshot(maxAgeMs);
    const now = Date.now();
    const by = (states: readonly State[]) => snap.stamps.filter((s) => states.includes(s.state));
    const read = (s: JobStamp) =>
      readJob({ id: s.id, state: s.state, dir: jobDir(env.store, s.state, s.id) }).catch(
        () => null,
      );

    const ids = (states: readonly State[]) => by(states).map((s) => s.id);
    const order = await queueView(
      { incoming: ids([STATES.INCOMING]), active: ids([STATES.PREPROCESSING, STATES.RUNNING]) },
      env.scheduler ?? null,
      rows,
    );
    const queue = (
      await Promise.all(
        order.rows.map(async (q, i) => {
          const job = await read({
            id: q.id,
            state: STATES.INCOMING,
            submitted: q.submitted,
            finished: null,
            outcome: null,
          });
          return (
            job && {
              id: q.id,
              position: i + 1,
              type: q.type,
              email: job.settings.email,
              submitter: q.submitter,
              submitted: q.submitted,
            }
          );
        }),
      )
    ).filter((r) => r !== null);

    const active = by(ACTIVE_RUN)
      .sort((a, b) => a.submitted - b.submitted)
      .slice(0, rows);
    const running = (
      await Promise.all(
        active.map(async (s): Promise<RunningRow | null> => {
          const job = await read(s);
          if (!job) return null;
          const m = await readMarkers(job.dir).catch(() => null);
          const type = job.settings.type;
          const where =
            s.state === STATES.RUNNING
              ? ((await runners(runnerKind(env.cfg, job))
                  .where?.(job, m ?? { running: null, success: null, error: null, cancel: null })
                  .catch(() => '?')) ?? '?')
              : job.run.runner;
          return {
            id: s.id,
            state: s.state,
            type,
            submitted: s.submitted,
            started: m?.running?.started ?? null,
            // A first attempt is recorded in RUNNING until it ends (prepareRun).
            attempt: job.run.attempts || m?.running?.attempt || 0,
            progress: await readProgress(job.dir),
            where,
            cancelRequested: !!m?.cancel,
          };
        }),
      )
    ).filter((r) => r !== null);

    const failedStamps = by([STATES.FAILED]).sort((a, b) => (b.finished ?? 0) - (a.finished ?? 0));
    const failureRows = (
      await Promise.all(
        failedStamps.slice(0, failures).map(async (s) => {
          const job = await read(s);
          return (
            job && {
              id: s.id,
              type: job.settings.type,
              email: job.settings.email,
              finished: Date.parse(job.result.finished) || s.finished || 0,
              kind: job.result.failureKind,
              failure: job.result.failure ?? '',
            }
          );
        }),
      )
    ).filter((r) => r !== null);

    const health = await checkHealth({
      stateFile: env.cfg.backend.stateFile,
      store: env.store,
      minFreeBytes: env.cfg.web.minFreeDiskBytes,
      inProcessBackend: env.inProcessBackend,
    });
    return {
      now,
      counts: { ...snap.counts },
      queue,
      queueTotal: order.total,
      submitters: order.submitters,
      running,
      failures: failureRows,
      failuresTotal: failedStamps.length,
      ...activityCharts(snap.stamps, now),
      health,
      scan: { tookMs: snap.tookMs, statted: snap.statted, jobs: snap.stamps.length },
    };
  };
}
