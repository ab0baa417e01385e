import { submitJob, submitJobs, type SubmitEnv } from '../lifecycle/submit.js';

export type { SubmitEnv };
import { webSubmitter } from '../scheduler/index.js';
import type { ValidInput } from '../service/validate.js';
import type { JobRef } from '../store/index.js';

/** Submit a validated form, API or Job Dispatcher request from client key `client` (its submitter: the email, else the client). */
export function submitValid(o: SubmitEnv, valid: ValidInput, client: string): Promise<JobRef> {
  return submitJob(o, valid, { submitter: webSubmitter(valid.email, client) });
}

/** Submit many validated API requests of one client at once (one group commit). */
export function submitValidMany(
  o: SubmitEnv,
  valid: readonly ValidInput[],
  client: string,
): Promise<(JobRef | Error)[]> {
  return submitJobs(
    o,
    valid,
    valid.map((v) => ({ submitter: webSubmitter(v.email, client) })),
  );
}
