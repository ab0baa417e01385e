import { basename } from 'node:path';
import type { Config } from '../config/index.js';
import { ConflictError, messageOf, NotFoundError } from '../errors.js';
import { createMailer, type Mailer } from '../mail/queue.js';
import { jobWrapper, type Runner, runnerRegistry } from '../runners/index.js';
import { createScheduler, type QueuedJob, type Scheduler } from '../scheduler/index.js';
import type { ChildRequest, Service } from '../service/types.js';
import { POLICY, STATES, type State } from '../states.js';
import {
  cleanStaging,
  findJob,
  JOB_FILES,
  type JobRef,
  readJob,
  rebuildIndexes,
  type Store,
} from '../store/index.js';
import { childrenOf } from '../store/deps.js';
import { type JobWatcher, watchJobs } from '../watcher/index.js';
import { type Log, silentLog } from '../log.js';
import { type StopEnv, stopJob, type StopOutcome } from './cancel.js';
import { queueFromDisk, startChildren } from './children.js';
import { clusterTracker } from './cluster.js';
import { type Core, here, safely } from './core.js';
import { checkFollowOn } from './deps.js';
import { drive, launchQueued, type Next } from './driver.js';
import { keyedLock } from './lock.js';
import { countRunning, driveFound, rescanJobs } from './rescan.js';

/** What a backend needs. */
export interface BackendOptions {
  cfg: Config;
  service: Service;
  store: Store;
  log?: Log;
  /** How long a service hook may take before its job fails (default: [backend] hook_timeout). */
  hookTimeoutMs?: number;
  /** false: never start a job (restart-unfinished, admin tools): only finish and requeue. */
  launch?: boolean;
  /** A signed "my jobs" link for an address, put in completion emails (the web's secret signs it). */
  myJobsUrl?: (email: string) => string;
}

/** The backend: admits queued jobs, runs them, finishes them, and recovers after a crash. */
export interface Backend {
  /** Reconcile the filesystem at once, then watch and rescan periodically. */
  start(): Promise<void>;
  /** Stop watching and scheduling; running jobs carry on (they are detached). */
  stop(): Promise<void>;
  /**
   * A job this process is creating will appear in incoming/ under `id`: the watcher leaves
   * it to `notify` (submit.ts's Handover) instead of reading its config.ini from disk.
   */
  expect(id: string): void;
  /** A new job is in incoming/ (from the web in this process, or the socket). */
  notify(job: QueuedJob): void;
  /** Cancel a queued or running job (cancel.ts); resolves, saying what happened, once the request is durable. */
  cancel(id: string, by: string): Promise<StopOutcome>;
  /** Look at job `id` again now, wherever it is (a running job's wrapper was signalled, say). */
  look(id: string): void;
  /** The runners this backend starts jobs with (the local one knows the wrappers it started). */
  readonly runners: (kind: Runner['kind']) => Runner;
  /** Look at every active job now (what the periodic rescan does). */
  rescan(): Promise<void>;
  /**
   * Advance job `ref` by the driver, after the declared move `first` (driver.ts: the one
   * mover); the caller holds the job's lock (withLock). Resolves with where the job rests.
   */
  drive(ref: JobRef, first: Next): Promise<JobRef>;
  /**
   * Under job `id`'s lock, move it from `from` by the declared move `next` (any other fails to
   * compile) and drive it on: the administrator's resubmit, an archive. NotFoundError when
   * the job is not in `from`. Resolves with where the job rests.
   */
  move<F extends State>(id: string, from: F, next: NonNullable<Next<F>>): Promise<JobRef>;
  /**
   * Start a job that waits for job `parent` to complete (saliweb's dependencies; the socket's
   * `after=ID`): recorded in the parent, then made; it fails, naming the parent, if the parent
   * fails. Throws when the parent is unknown or has already failed. Resolves with the new id.
   */
  startAfter(parent: string, request: ChildRequest): Promise<string>;
  /**
   * Run `fn` under job `id`'s lock, the one every step of this backend on the job holds:
   * whatever else in this process rewrites the job's config.ini holds it too.
   */
  withLock<T>(id: string, fn: () => Promise<T>): Promise<T>;
  readonly scheduler: Scheduler;
  readonly mailer: Mailer;
}

/**
 * Create a backend for one service: the wiring (watcher, timers, launcher recovery) and
 * the commands; the steps of a job's life are in launch.ts, finish.ts and children.ts, the
 * rescan of the folders in rescan.ts.
 */
export function createBackend({
  cfg,
  service,
  store,
  log = silentLog,
  hookTimeoutMs = cfg.backend.hookTimeoutMs,
  launch: launching = true,
  myJobsUrl,
}: BackendOptions): Backend {
  /** Local jobs whose exit report was lost (the launcher died): polled until they end. */
  const orphans = new Set<string>();
  let orphanTimer: NodeJS.Timeout | null = null;
  const pollOrphans = () => {
    for (const id of orphans) {
      void safely(
        core,
        'orphan poll',
        id,
        driveIn(id, STATES.RUNNING).then((still) => void (still || orphans.delete(id))),
      );
    }
    if (orphans.size === 0 && orphanTimer) {
      clearInterval(orphanTimer);
      orphanTimer = null;
    }
  };
  const core: Core = {
    cfg,
    service,
    store,
    log,
    hookTimeoutMs,
    launching,
    myJobsUrl,
    scheduler: createScheduler(cfg.limits.running, (t) => cfg.jobs[t]?.concurrent ?? null, {
      perUser: cfg.limits.perUser,
      order: cfg.limits.queueOrder,
    }),
    mailer: createMailer(store, cfg, log),
    lock: keyedLock(),
    runners: runnerRegistry(cfg, (dirs) => {
      // No longer self-reported: the first poll (onRunEvent) finds each alive and watches its folder.
      for (const d of dirs) {
        orphans.add(basename(d));
        core.selfWatched.delete(basename(d));
      }
      log('launcher_lost', { jobs: dirs.length });
      orphanTimer ??= setInterval(pollOrphans, 1000);
      orphanTimer.unref();
    }),
    cluster: clusterTracker(cfg.backend.clusterGraceMs),
    selfWatched: new Set<string>(),
    runWatch: { watch: (id) => watcher?.watchRun(id), unwatch: (id) => watcher?.unwatchRun(id) },
    stopped: false,
    pump() {
      // Count, then admit: nothing starts before every running job holds its slot.
      if (core.stopped || !core.launching || !counted) return;
      for (const q of core.scheduler.admit())
        void safely(
          core,
          'launch',
          q.id,
          core.lock.run(q.id, () => launchQueued(core, q)),
        );
    },
    drive: (ref, first) => drive(core, ref, first),
    wake(id, state) {
      void safely(core, `wake ${state}`, id, driveIn(id, state));
    },
  };

  /** driveFound under the job's lock. */
  const driveIn = (id: string, state: State) =>
    core.lock.run(id, () => driveFound(core, id, state));
  let counted = false;
  const { scheduler, mailer, lock } = core;
  let watcher: JobWatcher | null = null;
  /**
   * Jobs this process is creating, between `expect` and `notify`. A creation that fails
   * after its rename never notifies: the next rescan, which forgets these, queues it.
   */
  const handedOver = new Set<string>();
  let timer: NodeJS.Timeout | null = null;
  let clusterTimer: NodeJS.Timeout | null = null;

  /** Every cluster_poll: ask the cluster about each running cluster job (one at a time). */
  let polling = false;
  async function pollClusterJobs(): Promise<void> {
    if (polling || core.stopped) return;
    polling = true;
    try {
      for (const id of [...core.cluster.active]) {
        if (core.stopped) break;
        if (lock.busy(id)) continue;
        const ref = here(core, id, STATES.RUNNING);
        if (!ref) {
          core.cluster.forget(id);
          continue;
        }
        await safely(core, 'cluster_poll', id, driveIn(id, STATES.RUNNING));
      }
    } finally {
      polling = false;
    }
  }

  async function rescan(): Promise<void> {
    handedOver.clear();
    await rescanJobs(core);
  }

  const stopEnv: StopEnv = {
    cfg,
    store,
    log,
    runners: core.runners,
    drive: (ref, first) => drive(core, ref, first),
    look: (id) => self.look(id),
    lock: (id, fn) => lock.run(id, fn),
  };

  const self: Backend = {
    scheduler,
    mailer,
    async start() {
      checkFollowOn(cfg, service);
      // The wrapper copy its jobs will run, made now: a data root it cannot write fails the start.
      if (launching) await jobWrapper(store.data);
      await cleanStaging(store, 3_600_000);
      watcher = watchJobs(
        { incoming: store.states.incoming, running: store.states.running },
        {
          // Under the job's lock, as every step on a job: a job seen arriving while a step
          // moves it into incoming/ is queued once that step is over, not in its middle.
          incoming: (id) => {
            if (handedOver.has(id)) return; // this process is creating it: notify queues it
            void safely(
              core,
              'watch',
              id,
              lock.run(id, () => queueFromDisk(core, id)).then(() => core.pump()),
            );
          },
          runningFile: (id, name) => {
            if (name === JOB_FILES.SUCCESS || name === JOB_FILES.ERROR)
              core.wake(id, STATES.RUNNING);
          },
        },
        cfg.backend.watchPollMs,
      );
      await countRunning(core);
      counted = true;
      await rescan();
      // Indexes are derived: rebuilt in the background, after the backend is ready.
      void rebuildIndexes(store).then(
        (r) => (r.added || r.removed) && log('indexes_rebuilt', { ...r }),
        (err) => log('reindex_failed', { error: messageOf(err) }),
      );
      timer = setInterval(
        () => void rescan().catch((err) => log('rescan_failed', { error: messageOf(err) })),
        cfg.backend.checkMinutes * 60_000,
      );
      timer.unref();
      clusterTimer = setInterval(() => void pollClusterJobs(), cfg.backend.clusterPollMs);
      clusterTimer.unref();
      log('backend_ready', { queued: scheduler.queuedCount(), active: scheduler.activeCount() });
    },
    async stop() {
      core.stopped = true;
      if (timer) clearInterval(timer);
      if (clusterTimer) clearInterval(clusterTimer);
      await watcher?.close();
      if (orphanTimer) clearInterval(orphanTimer);
      core.runners.closeAll();
      mailer.close();
    },
    expect: (id) => void handedOver.add(id),
    notify(job) {
      handedOver.delete(job.id);
      scheduler.enqueue(job);
      core.pump();
    },
    cancel: (id, by) => stopJob(stopEnv, id, { by, mode: 'cancel', notify: true, wait: false }),
    look(id) {
      void safely(
        core,
        'look',
        id,
        (async () => {
          const ref = await findJob(store, id);
          if (ref && POLICY[ref.state].found === 'drive') core.wake(id, ref.state);
        })(),
      );
    },
    runners: core.runners,
    withLock: (id, fn) => lock.run(id, fn),
    rescan,
    drive: (ref, first) => drive(core, ref, first),
    move: (id, from, next) =>
      lock.run(id, async () => {
        const ref = here(core, id, from);
        if (!ref) throw new NotFoundError(`Job ${id} is not in ${from}.`);
        return drive(core, ref, next);
      }),
    startAfter: (parent, request) =>
      lock.run(parent, async () => {
        const ref = await findJob(store, parent);
        if (!ref || ref.state === STATES.ARCHIVED)
          throw new NotFoundError(`there is no job ${parent} to wait for`);
        if (ref.state === STATES.FAILED)
          throw new ConflictError(`job ${parent} has failed; nothing would start after it`);
        const job = await readJob(ref);
        const n = childrenOf(job.config).length;
        const [id] = await startChildren(core, ref, job, `after:${n}`, [
          { ...request, wait: false },
        ]);
        return id!;
      }),
  };
  return self;
}

/** What withBackend needs: the service's, and its backend when one runs in this process. */
export interface BackendEnv {
  cfg: Config;
  service: Service;
  store: Store;
  log: Log;
  backend?: Backend | null;
}

/**
 * Run `fn` with the backend of this process, or, when none runs here (an admin tool, a
 * sweep beside a backend elsewhere), with one made for the call that starts nothing: its
 * mail is sent once `fn` is over.
 */
export async function withBackend<T>(env: BackendEnv, fn: (b: Backend) => Promise<T>): Promise<T> {
  if (env.backend) return fn(env.backend);
  const { cfg, service, store, log } = env;
  const once = createBackend({ cfg, service, store, log, launch: false });
  try {
    return await fn(once);
  } finally {
    await once.mailer.flush();
    once.mailer.close();
  }
}
