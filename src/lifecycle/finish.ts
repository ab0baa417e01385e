import { messageOf } from '../errors.js';
import { queueAdminFailureMail, queueJobEndedMail } from '../mail/messages.js';
import { notifyJobEnd } from '../mail/notify.js';
import { STATES } from '../states.js';
import {
  appendJobLog,
  jobDir,
  JOB_FILES,
  JOB_OUTPUTS,
  type Job,
  type JobRef,
  type Markers,
  jobWith,
  jobRun,
  readJob,
  readMarkers,
  readProgress,
  readTail,
  unrecordedRun,
  updateJobConfig,
} from '../store/index.js';
import { childrenOf, childStates, ensureChildren, waitsOn } from '../store/deps.js';
import { admitChild, startChildren, wakeRelatives } from './children.js';
import { jobOutcome, typeOfJob } from '../service/context.js';
import { MAX_RERUNS, runHook } from './hooks.js';
import { type Core, resultsUrl } from './core.js';
import { childResults, followOnRequests } from './deps.js';
import type { Carry, Next } from './driver.js';
import { cancelFailure, describeRunEnd, type Failure } from './failure.js';

/**
 * The steps of the second half of a job's life, for the driver (driver.ts):
 * POSTPROCESSING (waiting for children, the postprocess hook, a rerun) → FINALIZING
 * (finalize hook, follow-on jobs, mails queued, the outcome recorded durably) → COMPLETED
 * or FAILED, then, once there, the complete hook.
 */

/**
 * The job's record: the one this drive's previous step handed on (its config as last
 * written), else read from disk. Taken once: a step hands on only what it knows is current.
 */
export async function takeJob(ref: JobRef, carry: Carry): Promise<Job> {
  const job = carry.job?.id === ref.id ? { ...carry.job, ...ref } : await readJob(ref);
  carry.job = undefined;
  return job;
}

/** POSTPROCESSING: wait for children, the postprocess hook (may ask for a rerun), then FINALIZING. */
export async function postprocessStep(
  core: Core,
  ref: JobRef,
  carry: Carry,
): Promise<Next<typeof STATES.POSTPROCESSING>> {
  const { store, service, cfg, hookTimeoutMs } = core;
  const job = await takeJob(ref, carry);
  // Handed on to FINALIZING unless children were recorded in config.ini since it was read.
  let current = !job.config.children;
  const type = typeOfJob(service, job);
  if (job.config.children) {
    // A parent waits here, its run over, until the children it waits for have ended.
    let kids = await childStates(store, job.config);
    if (kids.some((k) => k.ref === null && !k.gone)) {
      // Recorded but not made (a crash in between), or caught mid-move: look again under each child's lock.
      (await ensureChildren(store, job, service.name, (id, fn) => core.lock.run(id, fn))).forEach(
        (id) => admitChild(core, id),
      );
      kids = await childStates(store, job.config);
    }
    if (waitsOn(kids)) {
      await appendJobLog(ref.dir, 'waiting_for_children');
      return null;
    }
    // Cancelled while it waited: its children were stopped; it ends cancelled, without its hook.
    const stop = (await readMarkers(ref.dir)).cancel;
    if (stop) return { to: STATES.FINALIZING, failure: cancelFailure(stop) };
  }
  let failure: Failure | null = job.result.failureKind
    ? { kind: job.result.failureKind as Failure['kind'], message: job.result.failure ?? '' }
    : job.run.skipped
      ? null
      : describeRunEnd(
          carry.markers ?? (await readMarkers(ref.dir)),
          await readTail(ref.dir, JOB_FILES.STDERR),
          cfg.jobs[job.settings.type]?.timeLimitMs ?? null,
        );
  if (!type?.postprocess && !failure && job.config.children) {
    // No hook to judge the children: a child it waited for that failed fails the parent.
    const bad = (await childResults(store, service, job)).find(
      (c) => !c.ok && childrenOf(job.config).some((r) => r.id === c.id && r.mode === 'wait'),
    );
    if (bad)
      failure = {
        kind: 'program',
        message: `Job ${bad.id} (${bad.type}), which this job waited for, failed: ${bad.failure ?? ''}`,
      };
  }
  if (type?.postprocess && failure?.kind !== 'cancelled') {
    try {
      const outcome = await jobOutcome(
        job,
        cfg,
        failure === null,
        failure?.message ?? null,
        await readProgress(ref.dir),
        await childResults(store, service, job),
      );
      const r = await runHook('postprocess', hookTimeoutMs, () => type.postprocess!(outcome));
      if (r && 'children' in r && r.children?.length) {
        const round = job.run.childRounds + 1;
        if (round > MAX_RERUNS)
          throw new Error(`it started children ${round} times; the limit is ${MAX_RERUNS}`);
        await updateJobConfig(ref, (c) => void (c.run = { ...c.run, child_rounds: String(round) }));
        current = false;
        await startChildren(core, ref, job, `post:${job.run.reschedules}:${round}`, r.children);
        if (r.children.some((c) => c.wait !== false)) return postprocessStep(core, ref, carry);
      } else if (r && 'rerun' in r && r.rerun) {
        const reruns = job.run.reschedules;
        if (reruns >= MAX_RERUNS)
          throw new Error(`it asked for a rerun ${reruns + 1} times; the limit is ${MAX_RERUNS}`);
        await updateJobConfig(ref, (c) => {
          c.inputs = { ...c.inputs, ...r.inputs };
          c.run = { ...c.run, reschedules: String(jobRun(c).reschedules + 1) };
          delete c.run.skipped;
          delete c.result;
        });
        return { to: STATES.INCOMING };
      }
    } catch (err) {
      failure = { kind: 'technical', message: `The postprocess step failed: ${messageOf(err)}` };
    }
  }
  if (current) carry.job = job;
  return { to: STATES.FINALIZING, failure };
}

/**
 * FINALIZING: finalize hook, follow-on jobs, mail queued, the outcome recorded with the
 * outputs made durable; then COMPLETED or FAILED. `finished` is when the program ended (its
 * marker's time), even when the backend learns of it later; a parent ends with its children.
 */
export async function finalizeStep(
  core: Core,
  ref: JobRef,
  carry: Carry,
): Promise<Next<typeof STATES.FINALIZING>> {
  const { store, service, cfg, hookTimeoutMs, log } = core;
  let job = await takeJob(ref, carry);
  const type = typeOfJob(service, job);
  let failure: Failure | null = job.result.failureKind
    ? { kind: job.result.failureKind as Failure['kind'], message: job.result.failure ?? '' }
    : null;
  const outcome = async () =>
    jobOutcome(job, cfg, failure === null, failure?.message ?? null, null);
  if (type?.finalize) {
    try {
      await runHook('finalize', hookTimeoutMs, async () => type.finalize!(await outcome()));
    } catch (err) {
      failure = { kind: 'technical', message: `The finalize step failed: ${messageOf(err)}` };
    }
  }
  if (!failure && cfg.jobs[job.settings.type]?.followOn.length) {
    try {
      await startChildren(core, ref, job, 'follow', followOnRequests(cfg, service, job));
      job = await readJob(ref);
    } catch (err) {
      failure = {
        kind: 'technical',
        message: `The follow-on jobs could not be started: ${messageOf(err)}`,
      };
    }
  }
  const final = failure ? STATES.FAILED : STATES.COMPLETED;
  const m = carry.markers ?? (await readMarkers(ref.dir));
  const ran = m.success?.ended ?? m.error?.ended;
  const finished = new Date(
    ran !== undefined && !job.config.children ? Math.min(ran, Date.now()) : Date.now(),
  ).toISOString();
  job = jobWith(
    job,
    await updateJobConfig(
      ref,
      (c) => {
        // Started without a [run] record (prepareRun): recorded now, with the outcome.
        const run = c.run ? null : unrecordedRun(ref.dir, m);
        if (run) c.run = run;
        c.result = {
          state: final,
          finished,
          ...(failure ? { failure: failure.message, failure_kind: failure.kind } : {}),
        };
      },
      { alsoSync: outputsOf(m), current: job.config },
    ),
  );
  const url = resultsUrl(core, ref.id);
  const facts = { id: ref.id, url, ok: !failure, failure: failure?.message ?? null };
  const email = job.settings.email;
  const queued = !!email || failure?.kind === 'technical';
  if (email) await queueJobEndedMail(store, cfg, facts, email, core.myJobsUrl?.(email));
  if (failure?.kind === 'technical') {
    const stderr = await readTail(ref.dir, JOB_FILES.STDERR, 4000);
    await queueAdminFailureMail(store, cfg, {
      ...facts,
      dir: jobDir(store, final, ref.id),
      detail: stderr ? `Last stderr:\n${stderr}` : '',
    });
  }
  const notified = await notifyJobEnd(
    store,
    cfg,
    { id: ref.id, type: job.settings.type, ok: !failure, failure: failure?.message ?? null, url },
    log,
  );
  carry.flushMail = queued || notified;
  carry.job = job;
  return { to: final, seen: { config: job.config } };
}

/**
 * The outputs to make durable with the outcome: the marker the run left (not the other, which
 * is not there: opening it would only fail) and stdout/stderr; all of them when neither is.
 */
function outputsOf(m: Markers): readonly string[] {
  if (m.success) return JOB_OUTPUTS.filter((n) => n !== JOB_FILES.ERROR);
  if (m.error) return JOB_OUTPUTS.filter((n) => n !== JOB_FILES.SUCCESS);
  return JOB_OUTPUTS;
}

/**
 * The run's time and the wait before it (seconds), for the end event (metrics read them from
 * it), when this drive read the run's markers; nothing otherwise (metrics look them up).
 */
function runTimes(job: Job, m: Markers | undefined): { run_s?: number; wait_s?: number } {
  const started = m?.running?.started;
  const ended = m?.success?.ended ?? m?.error?.ended;
  const submitted = Date.parse(job.settings.submitted);
  if (started === undefined || ended === undefined || Number.isNaN(submitted)) return {};
  const s = (ms: number) => Math.round(ms) / 1000;
  return { run_s: s(ended - started), wait_s: s(started - submitted) };
}

/** COMPLETED or FAILED, just entered: logged, relatives woken, the complete hook, mail sent. */
export async function restStep(core: Core, ref: JobRef, carry: Carry): Promise<null> {
  const { cfg, service, hookTimeoutMs, log } = core;
  const job = await takeJob(ref, carry);
  const failure = job.result.failureKind ? (job.result.failure ?? '') : null;
  await appendJobLog(ref.dir, ref.state, failure !== null ? { failure } : {});
  wakeRelatives(core, job);
  log(failure !== null ? 'job_failed' : 'job_completed', {
    job: ref.id,
    type: job.settings.type,
    ...(failure !== null ? { failure, kind: job.result.failureKind } : {}),
    ...runTimes(job, carry.markers),
  });
  const type = typeOfJob(service, job);
  if (type?.complete) {
    try {
      const o = await jobOutcome(job, cfg, failure === null, failure, null);
      await runHook('complete', hookTimeoutMs, () => type.complete!(o));
    } catch (err) {
      log('hook_failed', { job: ref.id, hook: 'complete', error: messageOf(err) });
    }
  }
  if (carry.flushMail) void core.mailer.flush();
  return null;
}
