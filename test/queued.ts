/** Queued jobs for the scheduler's own tests (scheduler.test.ts, fair-order.test.ts). */
import type { QueuedJob, Scheduler } from '../src/scheduler/index.js';

let n = 0;
/** A queued job of `submitter`, submitted at `submitted`, with an id of its own (j0, j1, …). */
export const job = (submitter: string, submitted: number, type = 't'): QueuedJob => ({
  id: `j${n++}`,
  type,
  submitted,
  submitter,
});
export const ids = (jobs: QueuedJob[]) => jobs.map((j) => j.id);
/** Job `id`'s holder gives its slot back (the one it holds now). */
export const free = (s: Scheduler, id: string) => s.release(id, s.slotOf(id)!);
