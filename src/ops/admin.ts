/**
 * The admin's operations on jobs, as library functions for the CLI and the web dashboard.
 * Each works with the backend in this process (`env.backend`) or from a separate process
 * while a backend runs elsewhere (or none runs): every step that takes a job away from
 * where it is starts with a rename, and a rename has one winner, so an admin and a backend
 * acting at once never both move a job. Cancel and fail are the one stop of cancel.ts.
 */
import type { Config } from '../config/index.js';
import { ConflictError } from '../errors.js';
import type { Log } from '../log.js';
import { queueAdminFailureMail } from '../mail/messages.js';
import { createMailer } from '../mail/queue.js';
import { runnerKind, runnerRegistry } from '../runners/index.js';
import { socketCancel } from '../socket/client.js';
import type { Service } from '../service/types.js';
import { FINAL_STATES, POLICY, STATES } from '../states.js';
import {
  appendHistory,
  appendJobLog,
  clearRunMarkers,
  expireJob,
  findJob,
  type Job,
  jobRun,
  type JobRef,
  JOB_FILES,
  type Markers,
  readJob,
  readMarkers,
  readTail,
  type Store,
  updateJobConfig,
} from '../store/index.js';
import { type Backend, withBackend } from '../lifecycle/backend.js';
import { requireJob, type StopEnv, stopJob, type StopOutcome } from '../lifecycle/cancel.js';
import { resultsUrl } from '../lifecycle/core.js';
import type { Next } from '../lifecycle/driver.js';
import { cancelFailure, type Failure } from '../lifecycle/failure.js';

/** What an admin operation needs; `backend` when one runs in this process. */
export interface AdminEnv {
  cfg: Config;
  service: Service;
  store: Store;
  log: Log;
  backend?: Backend | null;
}

/** Who the admin tools act as, in job logs and messages. */
export const ADMIN = 'the administrator';

export { DEFAULT_LIST_STATES, listJobs, type JobRow } from './list.js';

/** Everything `jobdir show` prints about one job. */
export interface JobDetails {
  job: Job;
  markers: Markers;
  attempts: number;
  /** Earlier outcomes kept across resubmits ([history]). */
  history: string[];
  failure: string | null;
  /** Where the run is, as its runner knows it (pid, cluster id). */
  where: string | null;
  logTail: string;
  stdoutTail: string;
  stderrTail: string;
}

/** Look at one job (the last `logBytes` of its jobdir.log); throws NotFoundError naming the id. */
export async function showJob(
  env: AdminEnv,
  id: string,
  { logBytes = 3000 } = {},
): Promise<JobDetails> {
  const job = await readJob(await requireJob(env, id));
  const markers = await readMarkers(job.dir);
  let where: string | null = null;
  if (job.state === STATES.RUNNING)
    where =
      (await runnerRegistry(env.cfg)(runnerKind(env.cfg, job))
        .where?.(job, markers)
        .catch(() => null)) ?? null;
  return {
    job,
    markers,
    where,
    // A first attempt is recorded in RUNNING until it ends (prepareRun).
    attempts: job.run.attempts || markers.running?.attempt || 0,
    history: Object.values(job.config.history ?? {}),
    failure: job.result.failure ?? null,
    logTail: await readTail(job.dir, JOB_FILES.LOG, logBytes),
    stdoutTail: await readTail(job.dir, JOB_FILES.STDOUT, 2000),
    stderrTail: await readTail(job.dir, JOB_FILES.STDERR, 2000),
  };
}

/**
 * RESUBMIT: FAILED → INCOMING. The old failure and its attempts go to [history], the
 * attempt count starts again (the cap applies per submission), the last run's markers are
 * removed, then one rename makes it visible to the backend (its watcher on incoming/ picks
 * it up at once; `env.backend` is told directly).
 */
export async function resubmitJob(env: AdminEnv, id: string): Promise<JobRef> {
  const ref = await requireJob(env, id);
  if (ref.state !== STATES.FAILED) {
    throw new ConflictError(
      `Job ${id} is ${ref.state}; only failed jobs can be resubmitted${ref.state === STATES.ARCHIVED ? ' (its results were archived)' : ''}.`,
    );
  }
  const job = await readJob(ref);
  const r = job.result;
  const attempts = job.run.attempts;
  await appendHistory(
    ref,
    `${new Date().toISOString()} resubmitted by ${ADMIN}; before: failed at ${r.finished || '?'} after ${attempts} attempt(s) (${r.failureKind || '?'}): ${r.failure ?? ''}`,
    (c) => {
      c.run = {
        ...c.run,
        attempts: '0',
        total_attempts: String(jobRun(c).totalAttempts + attempts),
      };
      delete c.result;
    },
  );
  await clearRunMarkers(ref.dir);
  // Everything is written before the move: once in incoming/ a backend may take the job at once.
  await appendJobLog(ref.dir, 'resubmitted', { by: ADMIN });
  // The driver moves it (under its lock) and queues it in this process's backend, if any.
  const moved = await withBackend(env, (b) => b.move(id, STATES.FAILED, { to: STATES.INCOMING }));
  env.log('job_resubmitted', { job: id });
  return moved;
}

export type { StopOutcome } from '../lifecycle/cancel.js';

/** What stopping a job needs, from an admin env: its backend, or one made for the move. */
function stopEnv(env: AdminEnv): StopEnv {
  const b = env.backend;
  if (b)
    return {
      cfg: env.cfg,
      store: env.store,
      log: env.log,
      drive: b.drive,
      look: b.look,
      runners: b.runners,
      lock: (id, fn) => b.withLock(id, fn),
    };
  return {
    cfg: env.cfg,
    store: env.store,
    log: env.log,
    drive: (ref, first) => withBackend(env, (once) => once.drive(ref, first)),
  };
}

/**
 * CANCEL a queued or running job. Queued: claimed by a rename out of incoming/ and
 * finished at once (FAILED, "cancelled", user mailed). Running: a durable CANCEL marker,
 * then TERM (KILL after kill_grace) to the wrapper's process group; the backend that
 * watches it ends it as cancelled. Jobs already finishing or ended are a ConflictError.
 */
export async function cancelJob(
  env: AdminEnv,
  id: string,
  by = ADMIN,
  { wait = true }: { wait?: boolean } = {},
): Promise<StopOutcome> {
  // Without a backend in this process, the backend listening on the socket cancels, under
  // the job's lock (see socketCancel); only when none listens does this process cancel.
  const socket = env.backend ? undefined : env.cfg.general.socket;
  const said = socket ? await socketCancel(socket)(id, by) : null;
  if (said !== null)
    return { state: (await findJob(env.store, id))?.state ?? STATES.FAILED, message: said };
  return stopJob(stopEnv(env), id, { by, mode: 'cancel', notify: true, wait });
}

/**
 * FAIL: force a job to FAILED. Active jobs are stopped like cancel (the failure is "marked
 * as failed by the administrator"); a completed job is moved to failed. The admin is
 * mailed unless `notifyAdmin` is false (`jobdir fail -n`).
 */
export async function failJob(
  env: AdminEnv,
  id: string,
  { notifyAdmin = true }: { notifyAdmin?: boolean } = {},
): Promise<StopOutcome> {
  const ref = await requireJob(env, id);
  if (ref.state === STATES.FAILED)
    return { state: ref.state, message: `Job ${id} has already failed; nothing done.` };
  if (ref.state === STATES.ARCHIVED)
    throw new ConflictError(`Job ${id} is archived; an archived job cannot be marked as failed.`);
  if (ref.state !== STATES.COMPLETED)
    return stopJob(stopEnv(env), id, { by: ADMIN, mode: 'fail', notify: notifyAdmin });
  const f = cancelFailure({ at: Date.now(), by: ADMIN, mode: 'fail', notify: notifyAdmin });
  const moved = await withBackend(env, (b) =>
    b.withLock(id, async () => {
      const config = await updateJobConfig(
        ref,
        (c) =>
          void (c.result = {
            ...c.result,
            state: STATES.FAILED,
            failure: f.message,
            failure_kind: f.kind,
          }),
      );
      if (notifyAdmin) await queueAdminMail(env, ref, f);
      // By the driver: the move only (the job had ended already: no end's work again).
      const first: Next<typeof STATES.COMPLETED> = { to: STATES.FAILED, seen: { config } };
      return b.drive(ref, first);
    }),
  );
  await appendJobLog(moved.dir, 'failed_by_admin', { notify: notifyAdmin });
  await flushMail(env);
  return { state: STATES.FAILED, message: `Job ${id} was completed and is now marked as failed.` };
}

/**
 * DELETE a job everywhere (directory, by-id and users links). A queued or running job is
 * cancelled first and given kill_grace + 10 s to end; it is removed even if it did not.
 */
export async function deleteJob(env: AdminEnv, id: string): Promise<void> {
  let ref = await requireJob(env, id);
  if (POLICY[ref.state].admin.includes('cancel')) {
    await cancelJob(env, id).catch(() => {});
    const end = Date.now() + env.cfg.backend.killGraceMs + 10_000;
    while (Date.now() < end) {
      const now = await findJob(env.store, id);
      if (!now || FINAL_STATES.includes(now.state)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    ref = (await findJob(env.store, id)) ?? ref;
  }
  await expireJob(env.store, ref);
  env.log('job_deleted', { job: id, state: ref.state });
}

async function queueAdminMail(env: AdminEnv, ref: JobRef, f: Failure): Promise<void> {
  await queueAdminFailureMail(env.store, env.cfg, {
    id: ref.id,
    url: resultsUrl(env, ref.id),
    ok: false,
    failure: f.message,
    dir: ref.dir,
    detail: '',
  });
}

async function flushMail(env: AdminEnv): Promise<void> {
  if (env.backend) return void (await env.backend.mailer.flush());
  const mailer = createMailer(env.store, env.cfg, env.log);
  await mailer.flush();
  mailer.close();
}
