import { basename } from 'node:path';
import type { Config } from '../config/index.js';
import { ConflictError, messageOf, NotFoundError } from '../errors.js';
import { createMailer, type Mailer } from '../mail/queue.js';
import { jobWrapper, type Runner, runnerRegistry } from '../runners/index.js';
import {
  createScheduler,
  type QueuedJob,
  type Scheduler,
  submitterOf,
} from '../scheduler/index.js';
import type { ChildRequest, Service } from '../service/types.js';
import { ALL_STATES, POLICY, STATES, type State } from '../states.js';
import {
  cleanStaging,
  findJob,
  JOB_FILES,
  type JobRef,
  listState,
  readJob,
  rebuildIndexes,
  type Store,
} from '../store/index.js';
import { childrenOf } from '../store/deps.js';
import { type JobWatcher, watchJobs } from '../watcher/index.js';
import { type Log, silentLog } from '../log.js';
import { type StopEnv, stopJob, type StopOutcome } from './cancel.js';
import { queueableFromDisk, queueFromDisk, startChildren } from './children.js';
import { clusterTracker } from './cluster.js';
import { type Core, here, safely } from './core.js';
import { checkFollowOn } from './deps.js';
import { drive, launchQueued, type Next } from './driver.js';
import { keyedLock } from './lock.js';

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
 * the commands; the steps of a job's life are in launch.ts, finish.ts and children.ts.
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

  /** Drive job `id` if it is in `state` now (the caller holds its lock); false when it moved on. */
  async function driveFound(id: string, state: State): Promise<boolean> {
    const ref = here(core, id, state);
    if (ref) return (await drive(core, ref)).state === state; // where the drive left it
    if (state === STATES.RUNNING) core.runWatch.unwatch(id); // moved on: its watch with it
    return false;
  }
  /** driveFound under the job's lock. */
  const driveIn = (id: string, state: State) => core.lock.run(id, () => driveFound(id, state));
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
    // Up to 16 jobs at once (each under its own lock): their fsyncs overlap, so recovering
    // 1,000 interrupted jobs takes a fraction of doing them one after another.
    const each = async (state: State, fn: (id: string) => Promise<void>) => {
      const ids = await listState(store, state);
      let next = 0;
      const worker = async () => {
        while (next < ids.length) {
          const id = ids[next++]!;
          if (POLICY[state].found !== 'queue' && lock.busy(id)) continue;
          await safely(
            core,
            `rescan ${state}`,
            id,
            lock.run(id, () => fn(id)),
          );
        }
      };
      await Promise.all(Array.from({ length: Math.min(16, ids.length) }, worker));
    };
    // Each state's folder in lifecycle order, as its policy says (src/states.ts).
    for (const state of ALL_STATES) {
      const found = POLICY[state].found;
      if (found === 'queue') {
        // The waiting jobs are queued in submission order, as if they had just arrived one by
        // one: the fair share's turns are derived from that (scheduler/turns.ts), ties included.
        const waiting: QueuedJob[] = [];
        await each(state, async (id) => {
          const q = await queueableFromDisk(core, id);
          if (q) waiting.push(q);
        });
        waiting.sort((a, b) => a.submitted - b.submitted);
        // In one tick: a job moved out of incoming/ since it was read is not queued (a cancel dequeues after its move).
        for (const q of waiting) if (here(core, q.id, state)) scheduler.enqueue(q);
      } else if (found === 'unprepare') {
        // A job this backend is not preparing (it holds no slot here) never ran: the driver
        // puts it back in the queue. It may be admitted before the running jobs are judged:
        // each of them holds its slot already (count, then admit).
        await each(state, async (id) => {
          const ref = here(core, id, state);
          if (ref && !scheduler.isActive(id)) await drive(core, ref, { to: STATES.INCOMING });
        });
      } else if (found === 'drive') {
        // The driver's step for the state, as found.
        await each(state, (id) => driveFound(id, state).then(() => {}));
      }
    }
    core.pump();
    await mailer.flush();
  }

  /**
   * Before anything is admitted (start): every job in running/ holds a run slot of its type
   * until the driver has judged it, so jobs that ended while no backend ran never free slots
   * that live ones still hold (count, then admit).
   */
  async function countRunning(): Promise<void> {
    for (const id of await listState(store, STATES.RUNNING)) {
      const ref = here(core, id, STATES.RUNNING);
      const job = ref && (await readJob(ref).catch(() => null));
      if (job) scheduler.activate(id, job.settings.type, submitterOf(job.settings));
    }
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
      await countRunning();
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
