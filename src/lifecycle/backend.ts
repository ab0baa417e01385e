import { basename } from 'node:path';
import { failpoint } from '../config/failpoint.js';
import type { Config } from '../config/index.js';
import { ConflictError, messageOf, NotFoundError } from '../errors.js';
import { jobEndedMail, adminFailureMail } from '../../templates/email.js';
import { createMailer, queueMail, type Mailer } from '../mail/queue.js';
import { notifyJobEnd } from '../mail/notify.js';
import { runnerRegistry, type Runner } from '../runners/index.js';
import { createScheduler, type QueuedJob, type Scheduler } from '../scheduler/index.js';
import type { Service } from '../service/types.js';
import { STATES, type State } from '../states.js';
import {
  appendJobLog, findJob, hasEnded, type Job, jobDir, JOB_FILES, listState, moveJob, prepareRun, readJob,
  readMarkers, readProgress, type JobRef, type Markers, type Store, JOB_OUTPUTS, updateJobConfig, writeCancel,
  cleanStaging, rebuildIndexes,
} from '../store/index.js';
import { watchJobs } from '../watcher/index.js';
import { type Log, silentLog } from '../log.js';
import { jobContext, jobOutcome, MAX_RERUNS, readTail, runHook, typeOfJob } from './context.js';
import { cancelFailure, describeRunEnd, type Failure } from './failure.js';
import { keyedLock } from './lock.js';
import { clusterTracker } from './cluster.js';
import { checkFollowOn, childRecords, childResults, followOnRequests } from './deps.js';
import { childrenOf, childStates, ensureChildren, parentGate, recordChildren, unfinishedWaited, waitsOn } from '../store/deps.js';
import type { ChildRequest } from '../service/types.js';

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
  /** A new job is in incoming/ (from the web in this process, or the socket). */
  notify(job: QueuedJob): void;
  /** Cancel a queued or running job; resolves once the request is durable. */
  cancel(id: string, by: string, tries?: number): Promise<void>;
  /** Look at every active job now (what the periodic rescan does). */
  rescan(): Promise<void>;
  /** Finish a job that sits in FINALIZING (the admin tools move a cancelled queued job there). */
  finish(id: string): Promise<void>;
  /**
   * Start a job that waits for job `parent` to complete (saliweb's dependencies; the socket's
   * `after=ID`): recorded in the parent, then made; it fails, naming the parent, if the parent
   * fails. Throws when the parent is unknown or has already failed. Resolves with the new id.
   */
  startAfter(parent: string, request: ChildRequest): Promise<string>;
  readonly scheduler: Scheduler;
  readonly mailer: Mailer;
}

/** Create a backend for one service. */
export function createBackend({ cfg, service, store, log = silentLog, hookTimeoutMs = cfg.backend.hookTimeoutMs, launch: launching = true, myJobsUrl }: BackendOptions): Backend {
  const scheduler = createScheduler(cfg.limits.running, (t) => cfg.jobs[t]?.concurrent ?? null);
  /** Local jobs whose exit report was lost (the launcher died): polled until they end. */
  const orphans = new Set<string>();
  let orphanTimer: NodeJS.Timeout | null = null;
  const pollOrphans = () => {
    for (const id of orphans) {
      void safely('orphan poll', id, lock.run(id, async () => {
        await onRunEvent(id);
        if (!(await here(id, STATES.RUNNING))) orphans.delete(id);
      }));
    }
    if (orphans.size === 0 && orphanTimer) {
      clearInterval(orphanTimer);
      orphanTimer = null;
    }
  };
  const runners = runnerRegistry(cfg, (dirs) => {
    for (const d of dirs) orphans.add(basename(d));
    log('launcher_lost', { jobs: dirs.length });
    orphanTimer ??= setInterval(pollOrphans, 1000);
    orphanTimer.unref();
  });
  const mailer = createMailer(store, cfg, log);
  const lock = keyedLock();
  let stopped = false;
  let watcher: { close(): Promise<void> } | null = null;
  let timer: NodeJS.Timeout | null = null;
  const cluster = clusterTracker(cfg.backend.clusterGraceMs);
  let clusterTimer: NodeJS.Timeout | null = null;
  /** Jobs whose runner reports the end itself (local): chokidar skips their folders. */
  const selfWatched = new Set<string>();

  const typeCfg = (type: string) => cfg.jobs[type];
  const runnerFor = (job: Job): Runner => runners((job.config.run?.runner as Runner['kind']) ?? typeCfg(job.config.settings?.type ?? '')?.runner ?? 'local');
  const resultsUrl = (id: string) => `${cfg.general.urltop}/jobs/${id}`;
  const here = async (id: string, state: State): Promise<JobRef | null> => {
    const ref = await findJob(store, id);
    return ref && ref.state === state ? ref : null;
  };
  const safely = (what: string, id: string, p: Promise<unknown>) =>
    p.catch((err) => log('step_failed', { step: what, job: id, error: messageOf(err) }));

  function pump(): void {
    if (stopped || !launching) return;
    for (const q of scheduler.admit()) void safely('launch', q.id, lock.run(q.id, () => launch(q)));
  }

  /** INCOMING → PREPROCESSING → (preprocess, run) → RUNNING, wrapper started. */
  async function launch(q: QueuedJob): Promise<void> {
    let ref: JobRef;
    try {
      ref = await moveJob(store, q.id, STATES.INCOMING, STATES.PREPROCESSING, { durable: false });
    } catch (err) {
      scheduler.release(q.id);
      if (err instanceof NotFoundError) return pump();
      throw err;
    }
    const job = await readJob(ref);
    const type = typeOfJob(service, job);
    const fail = async (f: Failure) => {
      scheduler.release(q.id);
      pump();
      await toFinalizing(ref, ref.state, f);
    };
    if (!type) return fail({ kind: 'technical', message: `The service has no job type "${job.config.settings?.type}".` });
    const ctx = jobContext(job, cfg);
    const parentId = job.config.settings?.parent;
    if (parentId) ctx.parent = await findJob(store, parentId).then((p) => p && { id: p.id, dir: p.dir });
    try {
      const pre = await runHook('preprocess', hookTimeoutMs, () => type.preprocess?.(ctx));
      const stop = (await readMarkers(ref.dir)).cancel;
      if (stop) return fail(cancelFailure(stop, true));
      if (pre && pre.skipRun) {
        scheduler.release(q.id);
        pump();
        await updateJobConfig(ref, (c) => void (c.run = { ...c.run, skipped: 'true' }));
        const post = await moveJob(store, q.id, STATES.PREPROCESSING, STATES.POSTPROCESSING, { durable: false });
        return postprocess(post);
      }
      const spec = await runHook('run', hookTimeoutMs, () => type.run(ctx));
      const argv = Array.isArray(spec) ? spec : spec.argv ?? [];
      const kids = Array.isArray(spec) ? [] : spec.children ?? [];
      // The stage names the same ids when run() is asked again after a crash, new ones after a rerun or resubmit.
      if (kids.length) await startChildren(ref, job, `run:${job.config.run?.reschedules ?? 0}:${job.config.run?.total_attempts ?? 0}`, kids);
      if (argv.length === 0 && kids.length) {
        // The children are the work: the job waits for them in POSTPROCESSING, holding no run slot.
        scheduler.release(q.id);
        pump();
        await updateJobConfig(ref, (c) => void (c.run = { ...c.run, skipped: 'true' }));
        return postprocess(await moveJob(store, q.id, STATES.PREPROCESSING, STATES.POSTPROCESSING, { durable: false }));
      }
      if (argv.length === 0 || argv.some((a) => typeof a !== 'string')) throw new Error('run() must return a non-empty list of strings');
      const tc = typeCfg(type.name);
      const runnerOptions = { ...tc?.runnerOptions, ...(Array.isArray(spec) ? {} : spec.runnerOptions) };
      const kind = (Array.isArray(spec) ? undefined : spec.runner) ?? tc?.runner ?? 'local';
      if (kind === 'local') selfWatched.add(q.id);
      ref = await moveJob(store, q.id, STATES.PREPROCESSING, STATES.RUNNING, { durable: false });
      const attempt = Number(job.config.run?.attempts ?? 0) + 1;
      await prepareRun(ref, argv, attempt, { runner: kind });
      failpoint('run:prepared');
      const late = (await readMarkers(ref.dir)).cancel;
      if (late) {
        selfWatched.delete(q.id);
        scheduler.release(q.id);
        pump();
        return endRun(ref, cancelFailure(late, true));
      }
      await appendJobLog(ref.dir, 'started', { attempt, runner: kind, argv });
      await runners(kind).start(ref, {
        attempt, timeLimitMs: tc?.timeLimitMs ?? null, killGraceMs: cfg.backend.killGraceMs, runnerOptions,
        onExit: () => void safely('run_end', q.id, lock.run(q.id, () => onRunEvent(q.id))),
      });
      if (kind !== 'local') cluster.track(q.id);
      failpoint('run:started');
      log('job_started', { job: q.id, type: type.name, attempt, runner: kind });
    } catch (err) {
      const now = await findJob(store, q.id);
      if (now && (now.state === STATES.PREPROCESSING || now.state === STATES.RUNNING)) {
        await appendJobLog(now.dir, 'start_failed', { error: messageOf(err) });
        ref = now;
        return fail({ kind: 'technical', message: `The job could not be started: ${messageOf(err)}` });
      }
      throw err;
    }
  }

  /** A running job's wrapper exited, or a marker appeared, or a rescan looks at it. */
  async function onRunEvent(id: string): Promise<void> {
    const ref = await here(id, STATES.RUNNING);
    if (!ref) return;
    const m = await readMarkers(ref.dir);
    if (hasEnded(m) && !m.error?.signal) return endRun(ref, null);
    const job = await readJob(ref);
    const runner = runnerFor(job);
    if (hasEnded(m)) return endRun(ref, runner.kind === 'local' ? null : await cluster.explainEnd(ref, m, runner));
    const live = await runner.liveness(ref, m);
    if (runner.kind !== 'local' && live !== 'dead') cluster.seen(id);
    if (live !== 'dead') {
      if (runner.kind !== 'local') cluster.track(id);
      scheduler.activate(id, job.config.settings?.type ?? '');
      return;
    }
    if (m.cancel) return endRun(ref, null);
    if (runner.kind !== 'local' && !(await clusterJobGone(ref, runner, job.config.settings?.type ?? ''))) return;
    const attempts = Number(job.config.run?.attempts ?? 1);
    if (attempts >= cfg.backend.maxAttempts) {
      return endRun(ref, { kind: 'technical', message: `The job was interrupted ${attempts} times (its wrapper disappeared without a result, e.g. in a crash or reboot); jobdir gave up.` });
    }
    cluster.forget(id);
    await appendJobLog(ref.dir, 'lost', { attempts });
    await moveJob(store, id, STATES.RUNNING, STATES.INCOMING);
    scheduler.release(id);
    log('job_requeued', { job: id, attempts, reason: 'wrapper gone without a result' });
    scheduler.enqueue({ id, type: job.config.settings?.type ?? '', submitted: Date.parse(job.config.settings?.submitted ?? '') || 0 });
    pump();
  }

  /**
   * A cluster job the cluster no longer has, without SUCCESS/ERROR: true when it never
   * reached the cluster (the caller requeues it); otherwise it waits out the grace period
   * (polled) and then fails with the cluster's report. Never a second run.
   */
  async function clusterJobGone(ref: JobRef, runner: Runner, type: string): Promise<boolean> {
    const v = await cluster.whenGone(ref, runner);
    if (v.action === 'requeue') return true;
    if (v.action === 'wait') {
      cluster.track(ref.id);
      scheduler.activate(ref.id, type);
      return false;
    }
    await appendJobLog(ref.dir, 'cluster_gone', { failure: v.failure.message });
    await endRun(ref, v.failure);
    return false;
  }

  /** Every cluster_poll: ask the cluster about each running cluster job (one at a time). */
  let polling = false;
  async function pollClusterJobs(): Promise<void> {
    if (polling || stopped) return;
    polling = true;
    try {
      for (const id of [...cluster.active]) {
        if (stopped) break;
        if (lock.busy(id)) continue;
        if (!(await here(id, STATES.RUNNING))) {
          cluster.forget(id);
          continue;
        }
        await safely('cluster_poll', id, lock.run(id, () => onRunEvent(id)));
      }
    } finally {
      polling = false;
    }
  }

  /** RUNNING → POSTPROCESSING once the run is over; `override` replaces what the markers say. */
  async function endRun(ref: JobRef, override: Failure | null): Promise<void> {
    selfWatched.delete(ref.id);
    cluster.forget(ref.id);
    if (override) await updateJobConfig(ref, (c) => void (c.result = { failure: override.message, failure_kind: override.kind }));
    const post = await moveJob(store, ref.id, STATES.RUNNING, STATES.POSTPROCESSING, { durable: false });
    scheduler.release(ref.id);
    pump();
    await appendJobLog(post.dir, 'run_ended');
    await postprocess(post);
  }

  /** POSTPROCESSING: the postprocess hook (may ask for a rerun), then FINALIZING. */
  async function postprocess(ref: JobRef): Promise<void> {
    const job = await readJob(ref);
    const type = typeOfJob(service, job);
    if (job.config.children) {
      // A parent waits here, its run over, until the children it waits for have ended.
      let kids = await childStates(store, job.config);
      if (kids.some((k) => k.ref === null && !k.gone)) {
        // Recorded but not made (a crash in between), or caught mid-move: look again under each child's lock.
        (await ensureChildren(store, job, service.name, (id, fn) => lock.run(id, fn))).forEach(admitChild);
        kids = await childStates(store, job.config);
      }
      if (waitsOn(kids)) return void appendJobLog(ref.dir, 'waiting_for_children');
      // Cancelled while it waited: its children were stopped; it ends cancelled, without its hook.
      const stop = (await readMarkers(ref.dir)).cancel;
      if (stop) return toFinalizing(ref, STATES.POSTPROCESSING, cancelFailure(stop));
    }
    let failure: Failure | null = job.config.result?.failure_kind
      ? { kind: job.config.result.failure_kind as Failure['kind'], message: job.config.result.failure ?? '' }
      : job.config.run?.skipped === 'true' ? null
      : describeRunEnd(await readMarkers(ref.dir), await readTail(ref.dir, JOB_FILES.STDERR), typeCfg(job.config.settings?.type ?? '')?.timeLimitMs ?? null);
    if (!type?.postprocess && !failure && job.config.children) {
      // No hook to judge the children: a child it waited for that failed fails the parent.
      const bad = (await childResults(store, service, job)).find((c) => !c.ok && childrenOf(job.config).some((r) => r.id === c.id && r.mode === 'wait'));
      if (bad) failure = { kind: 'program', message: `Job ${bad.id} (${bad.type}), which this job waited for, failed: ${bad.failure ?? ''}` };
    }
    if (type?.postprocess && failure?.kind !== 'cancelled') {
      try {
        const outcome = await jobOutcome(job, cfg, failure === null, failure?.message ?? null, await readProgress(ref.dir), await childResults(store, service, job));
        const r = await runHook('postprocess', hookTimeoutMs, () => type.postprocess!(outcome));
        if (r && 'children' in r && r.children?.length) {
          const round = Number(job.config.run?.child_rounds ?? 0) + 1;
          if (round > MAX_RERUNS) throw new Error(`it started children ${round} times; the limit is ${MAX_RERUNS}`);
          await updateJobConfig(ref, (c) => void (c.run = { ...c.run, child_rounds: String(round) }));
          await startChildren(ref, job, `post:${job.config.run?.reschedules ?? 0}:${round}`, r.children);
          if (r.children.some((c) => c.wait !== false)) return postprocess(ref);
        } else if (r && 'rerun' in r && r.rerun) {
          const reruns = Number(job.config.run?.reschedules ?? 0);
          if (reruns >= MAX_RERUNS) throw new Error(`it asked for a rerun ${reruns + 1} times; the limit is ${MAX_RERUNS}`);
          await updateJobConfig(ref, (c) => {
            c.inputs = { ...c.inputs, ...r.inputs };
            c.run = { ...c.run, reschedules: String(Number(c.run?.reschedules ?? 0) + 1) };
            delete c.run.skipped;
            delete c.result;
          });
          await moveJob(store, ref.id, STATES.POSTPROCESSING, STATES.INCOMING);
          scheduler.enqueue({ id: ref.id, type: type.name, submitted: Date.parse(job.config.settings?.submitted ?? '') || 0 });
          return pump();
        }
      } catch (err) {
        failure = { kind: 'technical', message: `The postprocess step failed: ${messageOf(err)}` };
      }
    }
    await toFinalizing(ref, STATES.POSTPROCESSING, failure);
  }

  /** Record the outcome, move to FINALIZING and finish. */
  async function toFinalizing(ref: JobRef, from: State, failure: Failure | null): Promise<void> {
    if (failure) await updateJobConfig(ref, (c) => void (c.result = { failure: failure.message, failure_kind: failure.kind }));
    const fin = await moveJob(store, ref.id, from, STATES.FINALIZING, { durable: false });
    await finalize(fin);
  }

  /** FINALIZING: finalize hook, mail queued, then COMPLETED or FAILED (durable), complete hook. */
  async function finalize(ref: JobRef): Promise<void> {
    let job = await readJob(ref);
    const type = typeOfJob(service, job);
    let failure: Failure | null = job.config.result?.failure_kind
      ? { kind: job.config.result.failure_kind as Failure['kind'], message: job.config.result.failure ?? '' } : null;
    const outcome = async () => jobOutcome(job, cfg, failure === null, failure?.message ?? null, null);
    if (type?.finalize) {
      try {
        await runHook('finalize', hookTimeoutMs, async () => type.finalize!(await outcome()));
      } catch (err) {
        failure = { kind: 'technical', message: `The finalize step failed: ${messageOf(err)}` };
      }
    }
    if (!failure && typeCfg(job.config.settings?.type ?? '')?.followOn.length) {
      try {
        await startChildren(ref, job, 'follow', followOnRequests(cfg, service, job));
        job = await readJob(ref);
      } catch (err) {
        failure = { kind: 'technical', message: `The follow-on jobs could not be started: ${messageOf(err)}` };
      }
    }
    const final = failure ? STATES.FAILED : STATES.COMPLETED;
    await updateJobConfig(ref, (c) => void (c.result = { state: final, finished: new Date().toISOString(), ...(failure ? { failure: failure.message, failure_kind: failure.kind } : {}) }), { alsoSync: JOB_OUTPUTS });
    job = await readJob(ref);
    const facts = { service: cfg.general.serviceName, id: ref.id, url: resultsUrl(ref.id), ok: !failure, failure: failure?.message ?? null };
    const email = job.config.settings?.email;
    const queued = !!email || failure?.kind === 'technical';
    if (email) await queueMail(store, cfg, `${ref.id}.user`, { to: [email], ...jobEndedMail({ ...facts, myJobsUrl: myJobsUrl?.(email) }), headers: { 'X-Jobdir-Job': ref.id } });
    if (failure?.kind === 'technical') {
      const stderr = await readTail(ref.dir, JOB_FILES.STDERR, 4000);
      await queueMail(store, cfg, `${ref.id}.admin`, { to: [cfg.general.adminEmail], ...adminFailureMail({ ...facts, dir: jobDir(store, final, ref.id), detail: stderr ? `Last stderr:\n${stderr}` : '' }), headers: { 'X-Jobdir-Job': ref.id } });
    }
    const notified = await notifyJobEnd(store, cfg, { id: ref.id, type: job.config.settings?.type ?? '', ok: !failure, failure: failure?.message ?? null, url: resultsUrl(ref.id) }, log);
    const done = await moveJob(store, ref.id, STATES.FINALIZING, final);
    await appendJobLog(done.dir, final, failure ? { failure: failure.message } : {});
    wakeRelatives(job);
    log(failure ? 'job_failed' : 'job_completed', { job: ref.id, type: job.config.settings?.type, ...(failure ? { failure: failure.message, kind: failure.kind } : {}) });
    if (type?.complete) {
      try {
        const o = await jobOutcome({ ...job, ...done }, cfg, !failure, failure?.message ?? null, null);
        await runHook('complete', hookTimeoutMs, () => type.complete!(o));
      } catch (err) {
        log('hook_failed', { job: ref.id, hook: 'complete', error: messageOf(err) });
      }
    }
    if (queued || notified) void mailer.flush();
  }

  async function queueFromDisk(id: string): Promise<void> {
    if (scheduler.isQueued(id) || scheduler.isActive(id)) return;
    const ref = await here(id, STATES.INCOMING);
    if (!ref) return;
    const job = await readJob(ref).catch(() => null);
    if (job?.config.settings?.after_parent === 'true') {
      // A fired child waits in incoming/ until its parent has completed (rare: the common path reads one key).
      const gate = await parentGate(store, job.config);
      if (gate.verdict === 'wait') return;
      if (gate.verdict === 'fail') return void safely('dependency', id, lock.run(id, () => failDependent(id, gate.parent)));
    }
    if (job) scheduler.enqueue({ id, type: job.config.settings?.type ?? '', submitted: Date.parse(job.config.settings?.submitted ?? '') || 0 });
  }

  /**
   * Record children of `parent` (durably, in its config.ini), then create them and queue
   * them. Asking again after a crash names the same ids, so nothing is made twice.
   */
  async function startChildren(parent: JobRef, job: Job, stage: string, requests: ChildRequest[]): Promise<void> {
    const records = childRecords(service, store, job, stage, requests);
    await recordChildren(parent, records);
    failpoint('children:recorded');
    const made = await ensureChildren(store, await readJob(parent), service.name, (id, fn) => lock.run(id, fn));
    await appendJobLog(parent.dir, 'children_started', { stage, children: records.map((r) => `${r.id} ${r.type} ${r.mode}`) });
    log('children_started', { job: parent.id, stage, children: records.length, made: made.length });
    made.forEach(admitChild);
  }

  /** Queue a child just made (its own lock: never under its parent's). */
  function admitChild(id: string): void {
    void safely('child', id, lock.run(id, () => queueFromDisk(id)).then(pump));
  }

  /** A job ended: its parent may be waiting for it, its fired children for it. */
  function wakeRelatives(job: Job): void {
    const parent = job.config.settings?.parent;
    if (parent && job.config.settings?.after_parent !== 'true') {
      void safely('wake parent', parent, lock.run(parent, async () => {
        const ref = await here(parent, STATES.POSTPROCESSING);
        if (ref) await postprocess(ref);
      }));
    }
    for (const c of childrenOf(job.config)) if (c.mode === 'after') admitChild(c.id);
  }

  /** INCOMING → FINALIZING → FAILED for a fired child whose parent failed (or is gone). */
  async function failDependent(id: string, parent: string): Promise<void> {
    const ref = await here(id, STATES.INCOMING);
    if (!ref) return;
    scheduler.dequeue(id);
    await toFinalizing(ref, STATES.INCOMING, { kind: 'cancelled', message: `This job did not run: job ${parent}, which it was to follow, failed.` });
  }

  async function rescan(): Promise<void> {
    // Up to 16 jobs at once (each under its own lock): their fsyncs overlap, so recovering
    // 1,000 interrupted jobs takes a fraction of doing them one after another.
    const each = async (state: State, fn: (id: string) => Promise<void>) => {
      const ids = await listState(store, state);
      let next = 0;
      const worker = async () => {
        while (next < ids.length) {
          const id = ids[next++]!;
          if (state !== STATES.INCOMING && lock.busy(id)) continue;
          await safely(`rescan ${state}`, id, lock.run(id, () => fn(id)));
        }
      };
      await Promise.all(Array.from({ length: Math.min(16, ids.length) }, worker));
    };
    await each(STATES.INCOMING, queueFromDisk);
    await each(STATES.PREPROCESSING, async (id) => {
      if (scheduler.isActive(id)) return;
      await moveJob(store, id, STATES.PREPROCESSING, STATES.INCOMING);
      await queueFromDisk(id);
    });
    await each(STATES.RUNNING, onRunEvent);
    await each(STATES.POSTPROCESSING, async (id) => {
      const ref = await here(id, STATES.POSTPROCESSING);
      if (ref) await postprocess(ref);
    });
    await each(STATES.FINALIZING, async (id) => {
      const ref = await here(id, STATES.FINALIZING);
      if (ref) await finalize(ref);
    });
    pump();
    await mailer.flush();
  }

  return {
    scheduler,
    mailer,
    async start() {
      checkFollowOn(cfg, service);
      await cleanStaging(store, 3_600_000);
      watcher = watchJobs({ incoming: store.states.incoming, running: store.states.running }, {
        incoming: (id) => void safely('watch', id, queueFromDisk(id).then(pump)),
        runningFile: (id, name) => {
          if (name === JOB_FILES.SUCCESS || name === JOB_FILES.ERROR) void safely('watch', id, lock.run(id, () => onRunEvent(id)));
        },
      }, cfg.backend.watchPollMs, (id) => selfWatched.has(id));
      await rescan();
      // Indexes are derived (DESIGN 3): rebuilt in the background, after the backend is ready.
      void rebuildIndexes(store).then((r) => (r.added || r.removed) && log('indexes_rebuilt', { ...r }), (err) => log('reindex_failed', { error: messageOf(err) }));
      timer = setInterval(() => void rescan().catch((err) => log('rescan_failed', { error: messageOf(err) })), cfg.backend.checkMinutes * 60_000);
      timer.unref();
      clusterTimer = setInterval(() => void pollClusterJobs(), cfg.backend.clusterPollMs);
      clusterTimer.unref();
      log('backend_ready', { queued: scheduler.queued().length, active: scheduler.activeCount() });
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      if (clusterTimer) clearInterval(clusterTimer);
      await watcher?.close();
      if (orphanTimer) clearInterval(orphanTimer);
      runners.closeAll();
      mailer.close();
    },
    notify(job) {
      scheduler.enqueue(job);
      pump();
    },
    async cancel(id, by, tries = 0) {
      const ref = await findJob(store, id);
      if (!ref) throw new NotFoundError(`No job with id "${id}" was found.`);
      if (ref.state === STATES.INCOMING) {
        await lock.run(id, async () => {
          const r = await here(id, STATES.INCOMING);
          if (!r) return;
          scheduler.dequeue(id);
          await writeCancel(r.dir, by);
          await toFinalizing(r, STATES.INCOMING, { kind: 'cancelled', message: `The job was cancelled (by ${by}) before it started.` });
        });
        return;
      }
      if (ref.state === STATES.PREPROCESSING || ref.state === STATES.RUNNING) {
        try {
          await writeCancel(ref.dir, by);
        } catch (err) {
          // It moved on (PREPROCESSING → RUNNING, or it ended) while we wrote: look again.
          if ((err as NodeJS.ErrnoException).code === 'ENOENT' && tries < 20) return this.cancel(id, by, tries + 1);
          throw err;
        }
        // Once any launch step in progress is over (it may have cleared CANCEL when it
        // prepared the run), make sure the request is on disk and the run is stopped.
        void safely('cancel', id, lock.run(id, async () => {
          const r = await here(id, STATES.RUNNING);
          if (!r) return;
          if (!(await readMarkers(r.dir)).cancel) await writeCancel(r.dir, by);
          const m: Markers = await readMarkers(r.dir);
          await runnerFor(await readJob(r)).cancel(r, m, cfg.backend.killGraceMs);
          await onRunEvent(id);
        }));
        return;
      }
      if (ref.state === STATES.POSTPROCESSING) {
        // A parent waiting for its children: record the request, stop them; it ends when they have.
        const kids = unfinishedWaited(await childStates(store, (await readJob(ref)).config));
        if (kids.length) {
          await writeCancel(ref.dir, by);
          for (const k of kids) await this.cancel(k, by).catch((err: unknown) => log('cancel_failed', { job: k, error: messageOf(err) }));
          return;
        }
      }
      throw new ConflictError(`Job ${id} is ${ref.state}; only queued or running jobs can be cancelled.`);
    },
    rescan,
    finish: (id) => lock.run(id, async () => {
      const ref = await here(id, STATES.FINALIZING);
      if (ref) await finalize(ref);
    }),
    startAfter: (parent, request) => lock.run(parent, async () => {
      const ref = await findJob(store, parent);
      if (!ref || ref.state === STATES.ARCHIVED) throw new NotFoundError(`there is no job ${parent} to wait for`);
      if (ref.state === STATES.FAILED) throw new ConflictError(`job ${parent} has failed; nothing would start after it`);
      const job = await readJob(ref);
      const n = childrenOf(job.config).length;
      await startChildren(ref, job, `after:${n}`, [{ ...request, wait: false }]);
      return childrenOf((await readJob(ref)).config)[n]!.id;
    }),
  };
}
