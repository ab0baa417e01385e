/**
 * The admin's operations on jobs, as library functions for the CLI and the web dashboard.
 * Each works with the backend in this process (`env.backend`) or from a separate process
 * while a backend runs elsewhere (or none runs): every step that takes a job away from
 * where it is starts with a rename, and a rename has one winner, so an admin and a backend
 * acting at once never both move a job. Requests a running backend must act on are
 * durable markers (CANCEL) plus a kill of the wrapper's process group.
 */
import type { Config } from '../config/index.js';
import { ConflictError, NotFoundError } from '../errors.js';
import type { Log } from '../log.js';
import { createMailer, queueMail } from '../mail/queue.js';
import { runnerRegistry, type Runner } from '../runners/index.js';
import { submitterOf } from '../scheduler/index.js';
import type { Service } from '../service/types.js';
import { ACTIVE_STATES, FINAL_STATES, STATES, type State } from '../states.js';
import {
  appendHistory, appendJobLog, clearRunMarkers, expireJob, findJob, type Job, type JobRef, JOB_FILES, listState,
  type Markers, moveJob, readJob, readJobLogTail, readMarkers, type Store, updateJobConfig, writeCancel,
} from '../store/index.js';
import { adminFailureMail } from '../../templates/email.js';
import { createBackend, type Backend } from './backend.js';
import { readTail } from './context.js';
import { cancelFailure, type Failure } from './failure.js';
import { childStates, unfinishedWaited } from '../store/deps.js';

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

/** One line of `jobdir list`. */
export interface JobRow {
  id: string;
  state: State;
  type: string;
  email: string;
  submitted: string;
  /** Since submission, in ms. */
  ageMs: number;
  /** The recorded failure, '' when none. */
  failure: string;
}

/** What `list` shows when no state is named: everything not completed or archived. */
export const DEFAULT_LIST_STATES: readonly State[] = [...ACTIVE_STATES, STATES.FAILED];

/** The jobs in `states`, oldest submission first. */
export async function listJobs(env: AdminEnv, states: readonly State[] = DEFAULT_LIST_STATES, now = Date.now()): Promise<JobRow[]> {
  const refs: JobRef[] = [];
  for (const state of states) for (const id of await listState(env.store, state)) refs.push({ id, state, dir: `${env.store.states[state]}/${id}` });
  const rows: JobRow[] = [];
  let next = 0;
  const worker = async () => {
    while (next < refs.length) {
      const ref = refs[next++]!;
      const job = await readJob(ref).catch(() => null);
      if (!job) continue;
      const s = job.config.settings ?? {};
      rows.push({
        id: ref.id, state: ref.state, type: s.type ?? '', email: s.email ?? '', submitted: s.submitted ?? '',
        ageMs: now - (Date.parse(s.submitted ?? '') || now), failure: job.config.result?.failure ?? '',
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(32, refs.length) }, worker));
  return rows.sort((a, b) => a.submitted.localeCompare(b.submitted) || a.id.localeCompare(b.id));
}

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

/** Look at one job; throws NotFoundError naming the id. */
export async function showJob(env: AdminEnv, id: string): Promise<JobDetails> {
  const job = await readJob(await requireJob(env, id));
  const markers = await readMarkers(job.dir);
  let where: string | null = null;
  if (job.state === STATES.RUNNING) where = await runnerOf(env, job).where?.(job, markers).catch(() => null) ?? null;
  return {
    job, markers, where,
    attempts: Number(job.config.run?.attempts ?? 0),
    history: Object.values(job.config.history ?? {}),
    failure: job.config.result?.failure ?? null,
    logTail: await readJobLogTail(job, 3000),
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
    throw new ConflictError(`Job ${id} is ${ref.state}; only failed jobs can be resubmitted${ref.state === STATES.ARCHIVED ? ' (its results were archived)' : ''}.`);
  }
  const { config } = await readJob(ref);
  const r = config.result ?? {};
  const attempts = Number(config.run?.attempts ?? 0);
  await appendHistory(ref, `${new Date().toISOString()} resubmitted by ${ADMIN}; before: failed at ${r.finished ?? '?'} after ${attempts} attempt(s) (${r.failure_kind ?? '?'}): ${r.failure ?? ''}`, (c) => {
    c.run = { ...c.run, attempts: '0', total_attempts: String(Number(c.run?.total_attempts ?? 0) + attempts) };
    delete c.result;
  });
  await clearRunMarkers(ref.dir);
  // Everything is written before the move: once in incoming/ a backend may take the job at once.
  await appendJobLog(ref.dir, 'resubmitted', { by: ADMIN });
  const moved = await moveJob(env.store, id, STATES.FAILED, STATES.INCOMING);
  const s = config.settings ?? {};
  env.backend?.notify({ id, type: s.type ?? '', submitted: Date.parse(s.submitted ?? '') || 0, submitter: submitterOf(s) });
  env.log('job_resubmitted', { job: id });
  return moved;
}

/** What an admin stop (cancel or fail) did, in words for the CLI. */
export type StopOutcome = { state: State; message: string };

/**
 * CANCEL a queued or running job. Queued: claimed by a rename out of incoming/ and
 * finished at once (FAILED, "cancelled", user mailed). Running: a durable CANCEL marker,
 * then TERM (KILL after kill_grace) to the wrapper's process group; the backend that
 * watches it ends it as cancelled. Jobs already finishing or ended are a ConflictError.
 */
export async function cancelJob(env: AdminEnv, id: string, by = ADMIN): Promise<StopOutcome> {
  return stopJob(env, id, { by, mode: 'cancel', notify: true });
}

/**
 * FAIL: force a job to FAILED. Active jobs are stopped like cancel (the failure is "marked
 * as failed by the administrator"); a completed job is moved to failed. The admin is
 * mailed unless `notifyAdmin` is false (`jobdir fail -n`).
 */
export async function failJob(env: AdminEnv, id: string, { notifyAdmin = true }: { notifyAdmin?: boolean } = {}): Promise<StopOutcome> {
  const ref = await requireJob(env, id);
  if (ref.state === STATES.FAILED) return { state: ref.state, message: `Job ${id} has already failed; nothing done.` };
  if (ref.state === STATES.ARCHIVED) throw new ConflictError(`Job ${id} is archived; an archived job cannot be marked as failed.`);
  if (ref.state !== STATES.COMPLETED) return stopJob(env, id, { by: ADMIN, mode: 'fail', notify: notifyAdmin });
  const f = cancelFailure({ at: Date.now(), by: ADMIN, mode: 'fail', notify: notifyAdmin });
  await updateJobConfig(ref, (c) => void (c.result = { ...c.result, state: STATES.FAILED, failure: f.message, failure_kind: f.kind }));
  if (notifyAdmin) await queueAdminMail(env, ref, f);
  const moved = await moveJob(env.store, id, STATES.COMPLETED, STATES.FAILED);
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
  if (ref.state !== STATES.POSTPROCESSING && ref.state !== STATES.FINALIZING && ACTIVE_STATES.includes(ref.state)) {
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

async function stopJob(env: AdminEnv, id: string, req: { by: string; mode: 'cancel' | 'fail'; notify: boolean }): Promise<StopOutcome> {
  const verb = req.mode === 'fail' ? 'marked as failed' : 'cancelled';
  for (let round = 0; round < 100; round++) {
    const ref = await requireJob(env, id);
    try {
      switch (ref.state) {
        case STATES.INCOMING: {
          await writeCancel(ref.dir, req.by, req);
          const f = cancelFailure({ at: Date.now(), ...req }, true);
          await updateJobConfig(ref, (c) => void (c.result = { failure: f.message, failure_kind: f.kind }));
          await moveJob(env.store, id, STATES.INCOMING, STATES.FINALIZING);
          env.backend?.scheduler.dequeue(id);
          const done = await finishHere(env, id);
          return { state: done, message: `Job ${id} was queued and is now ${verb} (${done}).` };
        }
        case STATES.PREPROCESSING:
        case STATES.RUNNING: {
          await writeCancel(ref.dir, req.by, req);
          if (ref.state === STATES.PREPROCESSING) {
            // The backend checks for CANCEL before it starts the wrapper; wait to see where the job goes.
            const moved = await waitUntilMoved(env, id, STATES.PREPROCESSING, 5000);
            let now = moved ? await findJob(env.store, id) : null;
            if (now?.state === STATES.FINALIZING && (await waitUntilMoved(env, id, STATES.FINALIZING, 5000))) now = await findJob(env.store, id);
            // A job prepared and waiting for a run slot ends at once, as a queued one does.
            if (now && (now.state === STATES.FAILED || now.state === STATES.COMPLETED)) {
              return { state: now.state, message: `Job ${id} was queued and is now ${verb} (${now.state}).` };
            }
            if (moved) continue;
            return { state: ref.state, message: `Job ${id} is being prepared; the ${verb === 'cancelled' ? 'cancel' : 'fail'} request is recorded and it will stop before it runs.` };
          }
          const job = await readJob(ref);
          await runnerOf(env, job).cancel(ref, await readMarkers(ref.dir), env.cfg.backend.killGraceMs);
          await appendJobLog(ref.dir, req.mode === 'fail' ? 'fail_requested' : 'cancel_requested', { by: req.by });
          const ended = await waitUntilMoved(env, id, STATES.RUNNING, 3000);
          const now = ended ? await findJob(env.store, id) : ref;
          return {
            state: now?.state ?? ref.state,
            message: ended ? `Job ${id} was stopped and is now ${now?.state ?? 'gone'}.`
              : `Job ${id} was stopped; the backend ends it as ${verb} when it sees the wrapper gone (if no backend is running, when it starts).`,
          };
        }
        case STATES.POSTPROCESSING: {
          // A parent waiting for its children: the request is recorded and its children stopped.
          const kids = unfinishedWaited(await childStates(env.store, (await readJob(ref)).config));
          if (kids.length) {
            await writeCancel(ref.dir, req.by, req);
            const said = await Promise.all(kids.map((k) => stopJob(env, k, req).then((o) => `${k} ${o.state}`, (e: unknown) => `${k}: ${(e as Error).message}`)));
            return { state: ref.state, message: `Job ${id} was waiting for ${kids.length} job(s) it started (${said.join('; ')}); they were ${verb}, and it ends as ${verb} once they have stopped.` };
          }
          throw new ConflictError(`Job ${id} has finished running and is ${ref.state}; wait until it has ended${req.mode === 'fail' ? ', then run jobdir fail again' : ''}.`);
        }
        case STATES.FINALIZING:
          throw new ConflictError(`Job ${id} has finished running and is ${ref.state}; wait until it has ended${req.mode === 'fail' ? ', then run jobdir fail again' : ''}.`);
        default:
          throw new ConflictError(`Job ${id} has already ended (${ref.state}); only queued or running jobs can be ${verb}.`);
      }
    } catch (err) {
      // The job moved under us (the backend took it a step further): look again.
      if (err instanceof NotFoundError || (err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
  }
  throw new ConflictError(`Job ${id} kept moving while it was being ${verb}; try again.`);
}

/** Finish a job this process has just moved into FINALIZING (hooks, mail, final rename). */
async function finishHere(env: AdminEnv, id: string): Promise<State> {
  const backend = env.backend ?? createBackend({ cfg: env.cfg, service: env.service, store: env.store, log: env.log, launch: false });
  await backend.finish(id);
  if (!env.backend) {
    await backend.mailer.flush();
    backend.mailer.close();
  }
  return (await findJob(env.store, id))?.state ?? STATES.FAILED;
}

async function waitUntilMoved(env: AdminEnv, id: string, from: State, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if ((await findJob(env.store, id))?.state !== from) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function queueAdminMail(env: AdminEnv, ref: JobRef, f: Failure): Promise<void> {
  const facts = { service: env.cfg.general.serviceName, id: ref.id, url: `${env.cfg.general.urltop}/jobs/${ref.id}`, ok: false, failure: f.message };
  await queueMail(env.store, env.cfg, `${ref.id}.admin`, {
    to: [env.cfg.general.adminEmail], ...adminFailureMail({ ...facts, dir: ref.dir, detail: '' }), headers: { 'X-Jobdir-Job': ref.id },
  });
}

async function flushMail(env: AdminEnv): Promise<void> {
  if (env.backend) return void (await env.backend.mailer.flush());
  const mailer = createMailer(env.store, env.cfg, env.log);
  await mailer.flush();
  mailer.close();
}

function runnerOf(env: AdminEnv, job: Job): Runner {
  const kind = (job.config.run?.runner as Runner['kind'] | undefined) ?? env.cfg.jobs[job.config.settings?.type ?? '']?.runner ?? 'local';
  return runnerRegistry(env.cfg)(kind);
}

async function requireJob(env: AdminEnv, id: string): Promise<JobRef> {
  const ref = await findJob(env.store, id);
  if (!ref) throw new NotFoundError(`No job with id "${id}" was found (check the id; \`jobdir list\` shows the jobs).`);
  return ref;
}
