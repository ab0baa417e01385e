import { adminFailureMail, jobEndedMail } from '../../templates/email.js';
import { messageOf } from '../errors.js';
import { queueMail } from '../mail/queue.js';
import { notifyJobEnd } from '../mail/notify.js';
import { STATES, type State } from '../states.js';
import { queuedJob } from '../scheduler/index.js';
import {
  appendJobLog, jobDir, JOB_FILES, JOB_OUTPUTS, type JobRef, moveJob, readJob, readMarkers, readProgress, updateJobConfig,
} from '../store/index.js';
import { childrenOf, childStates, ensureChildren, waitsOn } from '../store/deps.js';
import { admitChild, startChildren, wakeRelatives } from './children.js';
import { jobOutcome, MAX_RERUNS, readTail, runHook, typeOfJob } from './context.js';
import { type Core, resultsUrl } from './core.js';
import { childResults, followOnRequests } from './deps.js';
import { cancelFailure, describeRunEnd, type Failure } from './failure.js';

/**
 * The second half of a job's life: POSTPROCESSING (waiting for children, the postprocess
 * hook, a rerun) → FINALIZING (finalize hook, follow-on jobs, mails queued) → COMPLETED
 * or FAILED, made durable, then the complete hook.
 */

/** POSTPROCESSING: the postprocess hook (may ask for a rerun), then FINALIZING. */
export async function postprocess(core: Core, ref: JobRef): Promise<void> {
  const { store, service, cfg, hookTimeoutMs } = core;
  const job = await readJob(ref);
  const type = typeOfJob(service, job);
  if (job.config.children) {
    // A parent waits here, its run over, until the children it waits for have ended.
    let kids = await childStates(store, job.config);
    if (kids.some((k) => k.ref === null && !k.gone)) {
      // Recorded but not made (a crash in between), or caught mid-move: look again under each child's lock.
      (await ensureChildren(store, job, service.name, (id, fn) => core.lock.run(id, fn))).forEach((id) => admitChild(core, id));
      kids = await childStates(store, job.config);
    }
    if (waitsOn(kids)) return appendJobLog(ref.dir, 'waiting_for_children');
    // Cancelled while it waited: its children were stopped; it ends cancelled, without its hook.
    const stop = (await readMarkers(ref.dir)).cancel;
    if (stop) return toFinalizing(core, ref, STATES.POSTPROCESSING, cancelFailure(stop));
  }
  let failure: Failure | null = job.config.result?.failure_kind
    ? { kind: job.config.result.failure_kind as Failure['kind'], message: job.config.result.failure ?? '' }
    : job.config.run?.skipped === 'true' ? null
    : describeRunEnd(await readMarkers(ref.dir), await readTail(ref.dir, JOB_FILES.STDERR), cfg.jobs[job.config.settings?.type ?? '']?.timeLimitMs ?? null);
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
        await startChildren(core, ref, job, `post:${job.config.run?.reschedules ?? 0}:${round}`, r.children);
        if (r.children.some((c) => c.wait !== false)) return postprocess(core, ref);
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
        core.scheduler.enqueue({ ...queuedJob(ref.id, job.config), type: type.name });
        return core.pump();
      }
    } catch (err) {
      failure = { kind: 'technical', message: `The postprocess step failed: ${messageOf(err)}` };
    }
  }
  await toFinalizing(core, ref, STATES.POSTPROCESSING, failure);
}

/** Record the outcome, move to FINALIZING and finish. */
export async function toFinalizing(core: Core, ref: JobRef, from: State, failure: Failure | null): Promise<void> {
  if (failure) await updateJobConfig(ref, (c) => void (c.result = { failure: failure.message, failure_kind: failure.kind }));
  const fin = await moveJob(core.store, ref.id, from, STATES.FINALIZING, { durable: false });
  await finalize(core, fin);
}

/** FINALIZING: finalize hook, mail queued, then COMPLETED or FAILED (durable), complete hook. */
export async function finalize(core: Core, ref: JobRef): Promise<void> {
  const { store, service, cfg, hookTimeoutMs, log } = core;
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
  if (!failure && cfg.jobs[job.config.settings?.type ?? '']?.followOn.length) {
    try {
      await startChildren(core, ref, job, 'follow', followOnRequests(cfg, service, job));
      job = await readJob(ref);
    } catch (err) {
      failure = { kind: 'technical', message: `The follow-on jobs could not be started: ${messageOf(err)}` };
    }
  }
  const final = failure ? STATES.FAILED : STATES.COMPLETED;
  job = { ...job, config: await updateJobConfig(ref, (c) => void (c.result = { state: final, finished: new Date().toISOString(), ...(failure ? { failure: failure.message, failure_kind: failure.kind } : {}) }), { alsoSync: JOB_OUTPUTS }) };
  const url = resultsUrl(core, ref.id);
  const facts = { service: cfg.general.serviceName, id: ref.id, url, ok: !failure, failure: failure?.message ?? null };
  const email = job.config.settings?.email;
  const queued = !!email || failure?.kind === 'technical';
  if (email) await queueMail(store, cfg, `${ref.id}.user`, { to: [email], ...jobEndedMail({ ...facts, myJobsUrl: core.myJobsUrl?.(email) }), headers: { 'X-Jobdir-Job': ref.id } });
  if (failure?.kind === 'technical') {
    const stderr = await readTail(ref.dir, JOB_FILES.STDERR, 4000);
    await queueMail(store, cfg, `${ref.id}.admin`, { to: [cfg.general.adminEmail], ...adminFailureMail({ ...facts, dir: jobDir(store, final, ref.id), detail: stderr ? `Last stderr:\n${stderr}` : '' }), headers: { 'X-Jobdir-Job': ref.id } });
  }
  const notified = await notifyJobEnd(store, cfg, { id: ref.id, type: job.config.settings?.type ?? '', ok: !failure, failure: failure?.message ?? null, url }, log);
  const done = await moveJob(store, ref.id, STATES.FINALIZING, final);
  await appendJobLog(done.dir, final, failure ? { failure: failure.message } : {});
  wakeRelatives(core, job);
  log(failure ? 'job_failed' : 'job_completed', { job: ref.id, type: job.config.settings?.type, ...(failure ? { failure: failure.message, kind: failure.kind } : {}) });
  if (type?.complete) {
    try {
      const o = await jobOutcome({ ...job, ...done }, cfg, !failure, failure?.message ?? null, null);
      await runHook('complete', hookTimeoutMs, () => type.complete!(o));
    } catch (err) {
      log('hook_failed', { job: ref.id, hook: 'complete', error: messageOf(err) });
    }
  }
  if (queued || notified) void core.mailer.flush();
}
