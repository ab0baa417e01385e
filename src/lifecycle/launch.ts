import { failpoint, pausepoint } from '../config/failpoint.js';
import { messageOf } from '../errors.js';
import type { Runner } from '../runners/index.js';
import { submitterOf } from '../scheduler/index.js';
import { STATES } from '../states.js';
import {
  appendJobLog,
  findJob,
  hasEnded,
  type JobRef,
  type Markers,
  prepareRun,
  readJob,
  readCancel,
  readMarkers,
  unrecordedRun,
  updateJobConfig,
} from '../store/index.js';
import { startChildren } from './children.js';
import { jobContext, typeOfJob } from '../service/context.js';
import { runHook } from './hooks.js';
import { type Core, runnerFor } from './core.js';
import type { Carry, Next } from './driver.js';
import { takeJob } from './finish.js';
import { cancelFailure, type Failure } from './failure.js';

/**
 * The steps of the first half of a job's life, for the driver (driver.ts):
 * PREPROCESSING (preprocess and run hooks) → RUNNING (wrapper or cluster job started);
 * then, each time its wrapper exits, a marker appears or a rescan looks, the verdict on
 * the run: still alive, over (→ POSTPROCESSING), or gone without a result (→ INCOMING).
 */

/** What the run hook decided, carried from PREPROCESSING into RUNNING. */
export interface RunSpec {
  /** The job's type (read once, in PREPROCESSING). */
  type: string;
  argv: string[];
  kind: Runner['kind'];
  runnerOptions: Record<string, string>;
  attempt: number;
  /**
   * Record [run] in config.ini before the wrapper starts; false for the first attempt of a
   * job on the local runner its type names, with no [run] or [result] yet (prepareRun).
   */
  record: boolean;
}

const technical = (message: string): Failure => ({ kind: 'technical', message });

/** PREPROCESSING: the preprocess hook, a stop request, the run hook (argv, children, runner). */
export async function preprocessStep(
  core: Core,
  ref: JobRef,
  carry: Carry,
): Promise<Next<typeof STATES.PREPROCESSING>> {
  const { store, cfg, hookTimeoutMs } = core;
  const job = await takeJob(ref, carry);
  const type = typeOfJob(core.service, job);
  if (!type)
    return {
      to: STATES.FINALIZING,
      failure: technical(`The service has no job type "${job.settings.type}".`),
    };
  const ctx = jobContext(job, cfg);
  const parentId = job.settings.parent;
  try {
    if (parentId)
      ctx.parent = await findJob(store, parentId).then((p) => p && { id: p.id, dir: p.dir });
    const pre = await runHook('preprocess', hookTimeoutMs, () => type.preprocess?.(ctx));
    const stop = readCancel(ref.dir);
    if (stop) {
      // A test holds a job here, still in incoming/ when no hook needs preprocessing/, while
      // the cancel of another process takes it away (JOBDIR_PAUSE=preprocess:cancelled:MS).
      await pausepoint('preprocess:cancelled');
      return { to: STATES.FINALIZING, failure: cancelFailure(stop, true) };
    }
    const skip = async () => {
      await updateJobConfig(ref, (c) => void (c.run = { ...c.run, skipped: 'true' }));
      return { to: STATES.POSTPROCESSING };
    };
    if (pre && pre.skipRun) return skip();
    const spec = await runHook('run', hookTimeoutMs, () => type.run(ctx));
    const argv = Array.isArray(spec) ? spec : (spec.argv ?? []);
    const kids = Array.isArray(spec) ? [] : (spec.children ?? []);
    // The stage names the same ids when run() is asked again after a crash, new ones after a rerun or resubmit.
    if (kids.length)
      await startChildren(
        core,
        ref,
        job,
        `run:${job.run.reschedules}:${job.run.totalAttempts}`,
        kids,
      );
    // The children are the work: the job waits for them in POSTPROCESSING, holding no run slot.
    if (argv.length === 0 && kids.length) return skip();
    if (argv.length === 0 || argv.some((a) => typeof a !== 'string'))
      throw new Error('run() must return a non-empty list of strings');
    const tc = core.cfg.jobs[type.name];
    const kind = (Array.isArray(spec) ? undefined : spec.runner) ?? tc?.runner ?? 'local';
    return {
      to: STATES.RUNNING,
      spec: {
        type: type.name,
        argv,
        kind,
        runnerOptions: { ...tc?.runnerOptions, ...(Array.isArray(spec) ? {} : spec.runnerOptions) },
        attempt: job.run.attempts + 1,
        // Without a record, a restarted backend derives the runner from the type: local.
        record:
          kind !== 'local' ||
          (tc?.runner ?? 'local') !== 'local' ||
          !!job.config.run ||
          !!job.config.result,
      },
    };
  } catch (err) {
    await appendJobLog(ref.dir, 'start_failed', { error: messageOf(err) });
    return {
      to: STATES.FINALIZING,
      failure: technical(`The job could not be started: ${messageOf(err)}`),
    };
  }
}

/** RUNNING, just entered: the attempt recorded (write-ahead), then the wrapper or cluster job started. */
export async function startStep(
  core: Core,
  ref: JobRef,
  spec: RunSpec,
): Promise<Next<typeof STATES.RUNNING>> {
  const { id } = ref;
  const { type } = spec;
  const tc = core.cfg.jobs[type];
  // A wrapper started by this backend's launcher reports its own exit; others are watched.
  if (spec.kind === 'local') core.selfWatched.add(id);
  else core.runWatch.watch(id);
  await prepareRun(ref, spec.argv, spec.attempt, { runner: spec.kind }, { record: spec.record });
  failpoint('run:prepared');
  const late = readCancel(ref.dir);
  if (late) return runOver(core, ref, cancelFailure(late, true));
  // A CANCEL written from here until the wrapper's RUNNING finds no pid to signal: the
  // wrapper itself looks for CANCEL once RUNNING is written, before it starts the program.
  const held = pausepoint('run:starting');
  if (held) await held;
  await appendJobLog(ref.dir, 'started', {
    attempt: spec.attempt,
    runner: spec.kind,
    argv: spec.argv,
  });
  try {
    await core.runners(spec.kind).start(ref, {
      attempt: spec.attempt,
      timeLimitMs: tc?.timeLimitMs ?? null,
      killGraceMs: core.cfg.backend.killGraceMs,
      runnerOptions: spec.runnerOptions,
      onExit: () => core.wake(id, STATES.RUNNING),
    });
  } catch (err) {
    core.selfWatched.delete(id);
    core.runWatch.unwatch(id);
    await appendJobLog(ref.dir, 'start_failed', { error: messageOf(err) });
    return {
      to: STATES.FINALIZING,
      failure: technical(`The job could not be started: ${messageOf(err)}`),
    };
  }
  if (spec.kind !== 'local') core.cluster.track(id);
  failpoint('run:started');
  core.log('job_started', { job: id, type, attempt: spec.attempt, runner: spec.kind });
  return null;
}

/**
 * RUNNING, on an event or a rescan: is the run over, alive, or gone without a result?
 * The OS is asked first and the markers read after its answer: a wrapper
 * writes SUCCESS or ERROR before it exits, so once it is known to be gone, a read that
 * finds no result is the truth, and a job is never requeued over a result it just left.
 */
export async function judgeRun(core: Core, ref: JobRef): Promise<Next<typeof STATES.RUNNING>> {
  const { cfg, scheduler, cluster } = core;
  const { id } = ref;
  const first = await readMarkers(ref.dir);
  if (hasEnded(first) && !first.error?.signal) return runOver(core, ref, null, first);
  const job = await readJob(ref);
  const runner = runnerFor(core, job);
  const type = job.settings.type;
  // Still going (alive, or the cluster's word to come): it holds its slot, for its type and submitter.
  const holds = () => scheduler.activate(id, type, submitterOf(job.settings));
  if (hasEnded(first)) {
    if (runner.kind === 'local') return runOver(core, ref, null, first);
    const end = await cluster.explainEnd(ref, first, runner);
    if (end.action === 'end') return runOver(core, ref, end.failure, first);
    // The cluster's final word is still to come: poll it.
    cluster.track(id);
    holds();
    return null;
  }
  const live = await runner.liveness(ref, first);
  await pausepoint('run:judged');
  const m = await readMarkers(ref.dir);
  if (hasEnded(m)) return judgeRun(core, ref);
  if (live !== 'dead') {
    if (runner.kind !== 'local') {
      cluster.seen(id);
      cluster.track(id);
    }
    // Alive, and not ours to hear of (a cluster job, or a wrapper of an earlier backend): its markers are watched.
    if (!core.selfWatched.has(id)) core.runWatch.watch(id);
    holds();
    return null;
  }
  if (m.cancel) return runOver(core, ref, null, m);
  if (runner.kind !== 'local') {
    const v = await cluster.whenGone(ref, m, runner);
    if (v.action === 'wait') {
      cluster.track(id);
      holds();
      return null;
    }
    if (v.action === 'fail') {
      await appendJobLog(ref.dir, 'cluster_gone', { failure: v.failure.message });
      return runOver(core, ref, v.failure);
    }
  }
  const attempts = job.run.attempts || 1;
  if (attempts >= cfg.backend.maxAttempts) {
    return runOver(
      core,
      ref,
      technical(
        `The job was interrupted ${attempts} times (its wrapper disappeared without a result, e.g. in a crash or reboot); jobdir gave up.`,
      ),
    );
  }
  cluster.forget(id);
  core.runWatch.unwatch(id);
  core.selfWatched.delete(id);
  // Started without a [run] record (prepareRun): the lost attempt is counted now, durably,
  // before the job is queued again, so the next start is attempt 2 and the cap holds.
  if (!job.config.run)
    await updateJobConfig(
      ref,
      (c) => void (c.run = { ...(unrecordedRun(ref.dir, m) ?? { attempts: '1' }), ...c.run }),
      { current: job.config },
    );
  await appendJobLog(ref.dir, 'lost', { attempts });
  core.log('job_requeued', { job: id, attempts, reason: 'wrapper gone without a result' });
  return { to: STATES.INCOMING };
}

/**
 * The run is over: stop following it; RUNNING → POSTPROCESSING (`override` replaces what
 * the markers say; `markers`: the ones that showed it, for the move's requirement).
 */
async function runOver(
  core: Core,
  ref: JobRef,
  override: Failure | null,
  markers?: Markers,
): Promise<Next<typeof STATES.RUNNING>> {
  core.selfWatched.delete(ref.id);
  core.runWatch.unwatch(ref.id);
  core.cluster.forget(ref.id);
  await appendJobLog(ref.dir, 'run_ended');
  return { to: STATES.POSTPROCESSING, failure: override, seen: markers && { markers } };
}
