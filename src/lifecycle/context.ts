import { join } from 'node:path';
import type { Config } from '../config/index.js';
import type { ChildResult, JobContext, JobOutcome, JobType, Service } from '../service/types.js';
import { appendJobLog, type Job, JOB_FILES, jobFilePath, type Progress, readJobFile, readTailRegular, writeJobFile } from '../store/index.js';

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

/**
 * Read at most `max` bytes of the end of a job's output file ('' when absent). Never
 * through a symlink or from a FIFO: a program cannot make the page show a server file.
 */
export async function readTail(dir: string, name: string, max = 64 * 1024): Promise<string> {
  return readTailRegular(join(dir, name), max) ?? '';
}

/** The outcome hooks and pages see. */
export async function jobOutcome(job: Job, cfg: Config, ok: boolean, failure: string | null, progress: Progress | null, children: ChildResult[] = []): Promise<JobOutcome> {
  const [stdout, stderr] = await Promise.all([readTail(job.dir, JOB_FILES.STDOUT), readTail(job.dir, JOB_FILES.STDERR)]);
  return { ...jobContext(job, cfg), ok, failure, stdout, stderr, progress, children };
}

/** How many times postprocess may ask for a rerun of one job before the job fails (a loop guard). */
export const MAX_RERUNS = 50;

/** Thrown when a hook does not return within its time. */
export class HookTimeout extends Error {
  override name = 'HookTimeout';
}

/** Run a service hook with a time limit; its failure is the caller's to attribute to one job. */
export async function runHook<T>(name: string, timeoutMs: number, fn: () => T | Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      Promise.resolve().then(fn),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new HookTimeout(`the ${name} hook did not finish within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
