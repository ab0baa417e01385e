import { NotFoundError } from '../../errors.js';
import type { JobType, Service } from '../../service/types.js';
import { STATES } from '../../states.js';
import { findJobEvenly, type Job, readJob, type Store } from '../../store/index.js';
import { externalState } from '../api/states.js';

/**
 * A job as the Job Dispatcher names its state: QUEUED, RUNNING, FINISHED, FAILURE (every
 * failed job, cancelled ones too), NOT_FOUND (unknown, malformed, of another tool, or
 * archived) and ERROR (only when the server cannot read the job just now).
 */

/** The words /status may answer. */
export type DispatcherStatus =
  'QUEUED' | 'RUNNING' | 'FINISHED' | 'FAILURE' | 'ERROR' | 'NOT_FOUND';

/** The message for every id that names no job of this tool (unknown ids all read alike). */
export const NO_JOB = 'No job with this id was found.';

/** The dispatcher's word for `job`. */
export function dispatcherStatus(job: Job): DispatcherStatus {
  return externalState(job.state, job.result.failureKind).dispatcher as DispatcherStatus;
}

/**
 * Job `id` of job type `type`, or NotFoundError (also for a job of another type). A job
 * that moves between folders while it is read is looked up once more.
 */
export async function findToolJob(store: Store, type: JobType, id: string): Promise<Job> {
  let job: Job | null = null;
  for (let attempt = 0; job === null; attempt++) {
    const ref = await findJobEvenly(store, id);
    if (!ref) throw new NotFoundError(NO_JOB);
    try {
      job = await readJob(ref);
    } catch (err) {
      if (attempt > 0) throw err;
    }
  }
  if (job.settings.type !== type.name) throw new NotFoundError(NO_JOB);
  return job;
}

/** The job type `name` of `service`, or NotFoundError naming the tools there are. */
export function toolOf(service: Service, name: string): JobType {
  const type = service.jobTypes.find((t) => t.name === name);
  if (!type)
    throw new NotFoundError(
      `There is no tool "${name.slice(0, 40)}" here; the tools are: ${service.jobTypes.map((t) => t.name).join(', ')}.`,
    );
  return type;
}

/** Is the job done (completed or failed), so that its results can be listed? */
export function isFinished(job: Job): boolean {
  return job.state === STATES.COMPLETED || job.state === STATES.FAILED;
}
