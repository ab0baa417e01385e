/**
 * What a service sees of a job: the context its hooks and `run` receive, and the outcome
 * its postprocess hooks, render and the results page see. Built from the job record and
 * its files (through the store); used by the lifecycle, the web and the test helper alike.
 */
import type { Config } from '../config/index.js';
import {
  appendJobLog,
  type Job,
  JOB_FILES,
  jobFilePath,
  type Progress,
  readJobFile,
  readTail,
  writeJobFile,
} from '../store/index.js';
import type { ChildResult, JobContext, JobOutcome, JobType, Service } from './types.js';

/** The service's job type for a job, or null when the service no longer has it. */
export function typeOfJob(service: Service, job: Job): JobType | null {
  return service.jobTypes.find((t) => t.name === job.settings.type) ?? null;
}

/** The context hooks and `run` receive. */
export function jobContext(job: Job, cfg: Config): JobContext {
  return {
    id: job.id,
    type: job.settings.type,
    dir: job.dir,
    inputs: { ...job.inputs },
    email: job.settings.email,
    config: cfg,
    log: (message: string) => appendJobLog(job.dir, 'service', { message }),
    path: (name: string) => jobFilePath(job.dir, name),
    readFile: (name: string) => readJobFile(job.dir, name),
    writeFile: (name: string, data: string | Uint8Array) => writeJobFile(job.dir, name, data),
  };
}

/** The outcome hooks and pages see. */
export async function jobOutcome(
  job: Job,
  cfg: Config,
  ok: boolean,
  failure: string | null,
  progress: Progress | null,
  children: ChildResult[] = [],
): Promise<JobOutcome> {
  const [stdout, stderr] = await Promise.all([
    readTail(job.dir, JOB_FILES.STDOUT),
    readTail(job.dir, JOB_FILES.STDERR),
  ]);
  return { ...jobContext(job, cfg), ok, failure, stdout, stderr, progress, children };
}
