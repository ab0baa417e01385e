/**
 * A submission, the first step of every job's life, written once for every way in (form,
 * API, Job Dispatcher, command socket, the test helper): the job created durably in
 * incoming/ with who it counts against in the fair share (scheduler/submitter.ts), logged,
 * and the backend told (at once in its own process, over the socket from a web-only one).
 */
import type { Config } from '../config/index.js';
import type { Log } from '../log.js';
import { type QueuedJob, SUBMITTER_KEY } from '../scheduler/index.js';
import type { ValidInput } from '../service/validate.js';
import { createJob, createJobs, type JobRef, type NewJob, type Store } from '../store/index.js';

/** Who is told of a new job: the backend, in this process or over the socket. */
export interface Handover {
  /**
   * The job's id is chosen and the job is about to appear in incoming/ (this process's
   * backend: its watcher leaves the job to `notify` instead of reading it from disk).
   */
  expect?(id: string): void;
  /** The job is durable in incoming/: queue it. */
  notify(job: QueuedJob): void;
}

/** Where a submission goes: the store, the log, and who to tell of the new job. */
export interface SubmitEnv {
  cfg: Config;
  store: Store;
  log: Log;
  service: { name: string };
  /** Tell the backend of a new job at once; otherwise its watcher or rescan finds it. */
  tell?: Handover;
}

/** Who submits, and through what (`via`, recorded in [settings] and the log; none for the web). */
export interface Submitter {
  submitter: string;
  via?: string;
}

/** What the store is given for a validated submission. */
function newJob(o: SubmitEnv, valid: ValidInput, { submitter, via }: Submitter): NewJob {
  return {
    named: o.tell?.expect?.bind(o.tell),
    service: o.service.name,
    type: valid.type.name,
    email: valid.email,
    inputs: valid.inputs,
    files: valid.files,
    settings: {
      ...(via ? { via } : {}),
      [SUBMITTER_KEY]: submitter,
      ...(o.cfg.general.trackHostname ? { hostname: o.cfg.hostname } : {}),
    },
  };
}

/** The job is durable: log it and tell the backend. */
function accepted(o: SubmitEnv, ref: JobRef, valid: ValidInput, { submitter, via }: Submitter) {
  o.log('job_submitted', { job: ref.id, type: valid.type.name, ...(via ? { via } : {}) });
  o.tell?.notify({ id: ref.id, type: valid.type.name, submitted: Date.now(), submitter });
}

/** Create the job of a validated submission, log it and tell the backend. */
export async function submitJob(o: SubmitEnv, valid: ValidInput, who: Submitter): Promise<JobRef> {
  const ref = await createJob(o.store, newJob(o, valid, who));
  accepted(o, ref, valid, who);
  return ref;
}

/**
 * Create the jobs of many validated submissions in one group commit (a bulk request): each
 * its own id, or its own error; every one that was made is logged and handed to the backend.
 */
export async function submitJobs(
  o: SubmitEnv,
  valid: readonly ValidInput[],
  who: readonly Submitter[],
): Promise<(JobRef | Error)[]> {
  const refs = await createJobs(
    o.store,
    valid.map((v, i) => newJob(o, v, who[i]!)),
  );
  refs.forEach((r, i) => void (r instanceof Error || accepted(o, r, valid[i]!, who[i]!)));
  return refs;
}
