/**
 * Admission: which queued job starts next. A job starts when fewer than `running` jobs
 * are active in all, fewer than its type's `concurrent` are active of its type, and (with
 * `per_user`) fewer than that many of its submitter's. Among the jobs that may start, the
 * order is fair share by default (fair.ts) or submission order (fifo.ts). A job that may
 * not start never blocks one behind it that may. Pure bookkeeping: the caller moves and
 * launches jobs, and tells the scheduler what it finds on disk.
 */
import { fairScheduler } from './fair.js';
import { fifoScheduler } from './fifo.js';
import type { Scheduler, SchedulerOptions } from './types.js';

export type { Admitted, QueuedJob, Scheduler, SchedulerOptions, SubmitterCount } from './types.js';
export {
  givenSubmitter,
  queuedJob,
  SUBMITTER_KEY,
  submitterOf,
  webSubmitter,
} from './submitter.js';

/** A scheduler with a global limit and per-type limits (null: only the global one). */
export function createScheduler(
  limit: number,
  perType: (type: string) => number | null,
  options: SchedulerOptions = {},
): Scheduler {
  return (options.order ?? 'fair') === 'fifo'
    ? fifoScheduler(limit, perType, options)
    : fairScheduler(limit, perType, options);
}
