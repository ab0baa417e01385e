import { failpoint } from '../config/failpoint.js';
import { messageOf, NotFoundError } from '../errors.js';
import type { Runner } from '../runners/index.js';
import { type QueuedJob, queuedJob, submitterOf } from '../scheduler/index.js';
import { STATES } from '../states.js';
import { appendJobLog, findJob, hasEnded, type JobRef, moveJob, prepareRun, readJob, readMarkers, updateJobConfig } from '../store/index.js';
import { startChildren } from './children.js';
import { jobContext, runHook, typeOfJob } from './context.js';
import { type Core, here, runnerFor, safely } from './core.js';
import { cancelFailure, type Failure } from './failure.js';
import { postprocess, toFinalizing } from './finish.js';

/**
 * The first half of a job's life: INCOMING → PREPROCESSING (preprocess hook, run) →
 * RUNNING with its wrapper or cluster job started; then what the markers and the runner
 * say once it may have ended (onRunEvent), up to RUNNING → POSTPROCESSING (endRun).
 */

/** INCOMING → PREPROCESSING → (preprocess, run) → RUNNING, wrapper started. */
export async function launch(core: Core, q: QueuedJob): Promise<void> {
  const { store, scheduler, cfg, hookTimeoutMs } = core;
  let ref: JobRef;
  try {
    ref = await moveJob(store, q.id, STATES.INCOMING, STATES.PREPROCESSING, { durable: false });
  } catch (err) {
    scheduler.release(q.id);
    if (err instanceof NotFoundError) return core.pump();
    throw err;
  }
  const job = await readJob(ref);
  const type = typeOfJob(core.service, job);
  const fail = async (f: Failure) => {
    scheduler.release(q.id);
    core.pump();
    await toFinalizing(core, ref, ref.state, f);
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
      core.pump();
      await updateJobConfig(ref, (c) => void (c.run = { ...c.run, skipped: 'true' }));
      const post = await moveJob(store, q.id, STATES.PREPROCESSING, STATES.POSTPROCESSING, { durable: false });
      return postprocess(core, post);
    }
    const spec = await runHook('run', hookTimeoutMs, () => type.run(ctx));
    const argv = Array.isArray(spec) ? spec : spec.argv ?? [];
    const kids = Array.isArray(spec) ? [] : spec.children ?? [];
    // The stage names the same ids when run() is asked again after a crash, new ones after a rerun or resubmit.
    if (kids.length) await startChildren(core, ref, job, `run:${job.config.run?.reschedules ?? 0}:${job.config.run?.total_attempts ?? 0}`, kids);
    if (argv.length === 0 && kids.length) {
      // The children are the work: the job waits for them in POSTPROCESSING, holding no run slot.
      scheduler.release(q.id);
      core.pump();
      await updateJobConfig(ref, (c) => void (c.run = { ...c.run, skipped: 'true' }));
      return postprocess(core, await moveJob(store, q.id, STATES.PREPROCESSING, STATES.POSTPROCESSING, { durable: false }));
    }
    if (argv.length === 0 || argv.some((a) => typeof a !== 'string')) throw new Error('run() must return a non-empty list of strings');
    const tc = core.cfg.jobs[type.name];
    const runnerOptions = { ...tc?.runnerOptions, ...(Array.isArray(spec) ? {} : spec.runnerOptions) };
    const kind = (Array.isArray(spec) ? undefined : spec.runner) ?? tc?.runner ?? 'local';
    if (kind === 'local') core.selfWatched.add(q.id);
    ref = await moveJob(store, q.id, STATES.PREPROCESSING, STATES.RUNNING, { durable: false });
    if (kind !== 'local') core.runWatch.watch(q.id);
    const attempt = Number(job.config.run?.attempts ?? 0) + 1;
    await prepareRun(ref, argv, attempt, { runner: kind });
    failpoint('run:prepared');
    const late = (await readMarkers(ref.dir)).cancel;
    if (late) {
      core.selfWatched.delete(q.id);
      scheduler.release(q.id);
      core.pump();
      return endRun(core, ref, cancelFailure(late, true));
    }
    await appendJobLog(ref.dir, 'started', { attempt, runner: kind, argv });
    await core.runners(kind).start(ref, {
      attempt, timeLimitMs: tc?.timeLimitMs ?? null, killGraceMs: cfg.backend.killGraceMs, runnerOptions,
      onExit: () => void safely(core, 'run_end', q.id, core.lock.run(q.id, () => onRunEvent(core, q.id))),
    });
    if (kind !== 'local') core.cluster.track(q.id);
    failpoint('run:started');
    core.log('job_started', { job: q.id, type: type.name, attempt, runner: kind });
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
export async function onRunEvent(core: Core, id: string): Promise<void> {
  const { cfg, scheduler, cluster, store } = core;
  const ref = await here(core, id, STATES.RUNNING);
  if (!ref) return core.runWatch.unwatch(id); // moved on (by an admin command, say): its watch with it
  const m = await readMarkers(ref.dir);
  if (hasEnded(m) && !m.error?.signal) return endRun(core, ref, null);
  const job = await readJob(ref);
  const runner = runnerFor(core, job);
  if (hasEnded(m)) return endRun(core, ref, runner.kind === 'local' ? null : await cluster.explainEnd(ref, m, runner));
  const live = await runner.liveness(ref, m);
  if (runner.kind !== 'local' && live !== 'dead') cluster.seen(id);
  if (live !== 'dead') {
    // Alive, and not ours to hear of (a cluster job, or a wrapper of an earlier backend): its markers are watched.
    if (!core.selfWatched.has(id)) core.runWatch.watch(id);
    if (runner.kind !== 'local') cluster.track(id);
    scheduler.activate(id, job.config.settings?.type ?? '', submitterOf(job.config.settings));
    return;
  }
  if (m.cancel) return endRun(core, ref, null);
  if (runner.kind !== 'local' && !(await clusterJobGone(core, ref, runner, job.config.settings?.type ?? '', submitterOf(job.config.settings)))) return;
  const attempts = Number(job.config.run?.attempts ?? 1);
  if (attempts >= cfg.backend.maxAttempts) {
    return endRun(core, ref, { kind: 'technical', message: `The job was interrupted ${attempts} times (its wrapper disappeared without a result, e.g. in a crash or reboot); jobdir gave up.` });
  }
  cluster.forget(id);
  core.runWatch.unwatch(id);
  await appendJobLog(ref.dir, 'lost', { attempts });
  await moveJob(store, id, STATES.RUNNING, STATES.INCOMING);
  scheduler.release(id);
  core.log('job_requeued', { job: id, attempts, reason: 'wrapper gone without a result' });
  scheduler.enqueue(queuedJob(id, job.config));
  core.pump();
}

/**
 * A cluster job the cluster no longer has, without SUCCESS/ERROR: true when it never
 * reached the cluster (the caller requeues it); otherwise it waits out the grace period
 * (polled) and then fails with the cluster's report. Never a second run.
 */
async function clusterJobGone(core: Core, ref: JobRef, runner: Runner, type: string, submitter: string): Promise<boolean> {
  const v = await core.cluster.whenGone(ref, runner);
  if (v.action === 'requeue') return true;
  if (v.action === 'wait') {
    core.cluster.track(ref.id);
    core.scheduler.activate(ref.id, type, submitter);
    return false;
  }
  await appendJobLog(ref.dir, 'cluster_gone', { failure: v.failure.message });
  await endRun(core, ref, v.failure);
  return false;
}

/** RUNNING → POSTPROCESSING once the run is over; `override` replaces what the markers say. */
export async function endRun(core: Core, ref: JobRef, override: Failure | null): Promise<void> {
  core.selfWatched.delete(ref.id);
  core.runWatch.unwatch(ref.id);
  core.cluster.forget(ref.id);
  if (override) await updateJobConfig(ref, (c) => void (c.result = { failure: override.message, failure_kind: override.kind }));
  const post = await moveJob(core.store, ref.id, STATES.RUNNING, STATES.POSTPROCESSING, { durable: false });
  core.scheduler.release(ref.id);
  core.pump();
  await appendJobLog(post.dir, 'run_ended');
  await postprocess(core, post);
}
