import { type Config, publicUrl } from '../config/index.js';
import { messageOf } from '../errors.js';
import type { Log } from '../log.js';
import type { Mailer } from '../mail/queue.js';
import { type Runner, type runnerRegistry, runnerKind } from '../runners/index.js';
import type { Scheduler } from '../scheduler/index.js';
import type { Service } from '../service/types.js';
import type { State } from '../states.js';
import { findJobIn, type Job, type JobRef, type Store } from '../store/index.js';
import type { clusterTracker } from './cluster.js';
import type { Next } from './driver.js';
import type { keyedLock } from './lock.js';

/**
 * What the backend's steps share: the configuration, the store, the scheduler, the
 * per-job lock and the runners. The steps (launch.ts, finish.ts, children.ts) are
 * functions of it; backend.ts makes one, and the driver (driver.ts) runs the steps.
 */
export interface Core {
  cfg: Config;
  service: Service;
  store: Store;
  log: Log;
  hookTimeoutMs: number;
  /** false: never start a job (restart-unfinished, admin tools): only finish and requeue. */
  launching: boolean;
  myJobsUrl?: (email: string) => string;
  scheduler: Scheduler;
  mailer: Mailer;
  lock: ReturnType<typeof keyedLock>;
  runners: ReturnType<typeof runnerRegistry>;
  cluster: ReturnType<typeof clusterTracker>;
  /** Jobs whose end their runner reports itself (a local wrapper this backend started): no folder watch. */
  selfWatched: Set<string>;
  /** Watch, or stop watching, a running job's folder for its markers (no-op before the backend starts). */
  runWatch: { watch(id: string): void; unwatch(id: string): void };
  /** Set once the backend stops: no more launches. */
  stopped: boolean;
  /** Start queued jobs while the limits allow (nothing before every running job is counted). */
  pump(): void;
  /** Advance a job by the driver (driver.ts), after the move `first` if given; the caller holds its lock. */
  drive(ref: JobRef, first?: Next): Promise<JobRef>;
  /** Under the job's lock, drive job `id` if it is in `state` now (an event: a wrapper exited, a child ended). */
  wake(id: string, state: State): void;
}

/** Run `p`, logging (not throwing) its failure: one job's trouble never stops the backend. */
export function safely(
  core: Core,
  what: string,
  id: string,
  p: Promise<unknown>,
): Promise<unknown> {
  return p.catch((err) => core.log('step_failed', { step: what, job: id, error: messageOf(err) }));
}

/** Job `id` if it is in `state` now. */
export function here(core: Core, id: string, state: State): JobRef | null {
  return findJobIn(core.store, id, state);
}

/** The runner a job was started with (or its type's, or local). */
export function runnerFor(core: Core, job: Job): Runner {
  return core.runners(runnerKind(core.cfg, job));
}

/** The absolute URL of a job's results page, for mails (the backend's steps and the admin tools). */
export function resultsUrl({ cfg }: { cfg: Config }, id: string): string {
  return publicUrl(cfg.general.urltop, `/jobs/${id}`);
}
