import type { Config } from '../config/index.js';
import type { Log } from '../log.js';
import { type QueuedJob, SUBMITTER_KEY, webSubmitter } from '../scheduler/index.js';
import type { ValidInput } from '../service/validate.js';
import { createJob, type JobRef, type Store } from '../store/index.js';

/** Create the job of a validated submission (form or API) from client key `client`, log it and tell the backend. */
export async function submitValid(o: { cfg: Config; store: Store; log: Log; service: { name: string }; notify?: (job: QueuedJob) => void }, valid: ValidInput, client: string): Promise<JobRef> {
  const submitter = webSubmitter(valid.email, client);
  const ref = await createJob(o.store, {
    service: o.service.name, type: valid.type.name, email: valid.email, inputs: valid.inputs, files: valid.files,
    settings: { [SUBMITTER_KEY]: submitter, ...(o.cfg.general.trackHostname ? { hostname: o.cfg.hostname } : {}) },
  });
  o.log('job_submitted', { job: ref.id, type: valid.type.name });
  o.notify?.({ id: ref.id, type: valid.type.name, submitted: Date.now(), submitter });
  return ref;
}
