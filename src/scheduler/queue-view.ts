/**
 * The queue as the admin dashboard shows it: jobs in the order they will start (turn
 * order), and per submitter how many wait and how many hold a slot. With a backend in this
 * process its scheduler answers; otherwise (web and backend as separate processes) the
 * order is derived from the job directories as a restarted backend derives it (turns.ts):
 * the jobs holding a slot as started, then the waiting jobs queued in submission order.
 * That is the backend's own order except where its history gave other tags (a submitter
 * whose job started and ended in the current round, a job requeued). Each job's
 * config.ini is read once and remembered (type, submission time and submitter never
 * change), so a refresh reads only new jobs.
 */
import type { Config } from '../config/index.js';
import type { JobConfig } from '../store/index.js';
import { createScheduler } from './index.js';
import { queuedJob } from './submitter.js';
import type { QueuedJob, Scheduler, SubmitterCount } from './types.js';

/** What the dashboard's queue panel shows. */
export interface QueueView {
  /** The first jobs to start, in order. */
  rows: QueuedJob[];
  total: number;
  /** Submitters with jobs waiting or holding a slot, most waiting first. */
  submitters: SubmitterCount[];
}

/** Job ids on disk: waiting (incoming/) and holding a slot (preprocessing/, running/). */
export interface QueueOnDisk {
  incoming: readonly string[];
  active: readonly string[];
}

const bySize = (a: SubmitterCount, b: SubmitterCount) =>
  b.queued - a.queued || b.running - a.running || a.submitter.localeCompare(b.submitter);

const bySubmission = (a: QueuedJob, b: QueuedJob) => a.submitted - b.submitted;

/** A source of queue views; `read` gives a job's config.ini (null when it is gone). */
export function queueViewSource(
  cfg: Config,
  read: (id: string, active: boolean) => Promise<JobConfig | null>,
): (disk: QueueOnDisk, live: Scheduler | null, rows: number) => Promise<QueueView> {
  const known = new Map<string, QueuedJob>();
  const learn = async (id: string, active: boolean) => {
    let q = known.get(id);
    if (!q) {
      const config = await read(id, active).catch(() => null);
      if (!config) return null;
      known.set(id, (q = queuedJob(id, config)));
    }
    return q;
  };
  return async (disk, live, rows) => {
    let s = live;
    if (!s) {
      s = createScheduler(cfg.limits.running, (t) => cfg.jobs[t]?.concurrent ?? null, {
        perUser: cfg.limits.perUser,
        order: cfg.limits.queueOrder,
      });
      const present = new Set([...disk.incoming, ...disk.active]);
      for (const id of known.keys()) if (!present.has(id)) known.delete(id);
      for (const id of disk.active) {
        const q = await learn(id, true);
        if (q) s.activate(id, q.type, q.submitter);
      }
      // As a restarted backend derives them: the waiting jobs queued in submission order.
      const waiting: QueuedJob[] = [];
      for (const id of disk.incoming) {
        const q = await learn(id, false);
        if (q) waiting.push(q);
      }
      for (const q of waiting.sort(bySubmission)) s.enqueue(q);
    }
    return {
      rows: s.queued(rows),
      total: s.queuedCount(),
      submitters: s.submitters().sort(bySize),
    };
  };
}
