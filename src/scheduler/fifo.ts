/**
 * `[limits] queue_order = fifo`: jobs start in submission order, whoever sent them (the
 * order before fair share). A job whose type is full, or whose submitter is at the
 * per-user cap, does not block the jobs behind it. Position: a binary search, O(log n).
 */
import { ActiveJobs, slotMembers } from './active.js';
import { type Entry, SortedDeque } from './deque.js';
import type { Admitted, QueuedJob, Scheduler, SchedulerOptions, SubmitterCount } from './types.js';

const toJob = ({ id, type, submitted, submitter }: Entry): QueuedJob => ({
  id,
  type,
  submitted,
  submitter,
});

/** A submission-order scheduler with a global limit, per-type limits and an optional per-submitter cap. */
export function fifoScheduler(
  limit: number,
  perType: (type: string) => number | null,
  { perUser = null }: SchedulerOptions = {},
): Scheduler {
  const queue = new SortedDeque();
  const entries = new Map<string, Entry>();
  const waitingOf = new Map<string, number>();
  const active = new ActiveJobs();
  let seq = 0;
  const forget = (e: Entry) => {
    entries.delete(e.id);
    queue.remove(e);
    const n = (waitingOf.get(e.submitter) ?? 1) - 1;
    if (n > 0) waitingOf.set(e.submitter, n);
    else waitingOf.delete(e.submitter);
  };
  return {
    enqueue(job) {
      if (entries.has(job.id) || active.has(job.id)) return;
      const e: Entry = { ...job, seq: seq++ };
      entries.set(e.id, e);
      queue.insert(e);
      waitingOf.set(e.submitter, (waitingOf.get(e.submitter) ?? 0) + 1);
    },
    ...slotMembers(active, entries, forget),
    admit(): Admitted[] {
      const out: Entry[] = [];
      for (const e of queue) {
        if (active.size + out.length >= limit) break;
        const cap = perType(e.type);
        if (
          cap !== null &&
          active.ofType(e.type) + out.filter((o) => o.type === e.type).length >= cap
        )
          continue;
        if (
          perUser !== null &&
          active.of(e.submitter) + out.filter((o) => o.submitter === e.submitter).length >= perUser
        )
          continue;
        out.push(e);
      }
      return out.map((e) => {
        forget(e);
        return { ...toJob(e), slot: active.add(e.id, e.type, e.submitter) };
      });
    },
    isQueued: (id) => entries.has(id),
    isActive: (id) => active.has(id),
    queued: (rows = Infinity) => [...queue].slice(0, rows).map(toJob),
    queuedCount: () => entries.size,
    position(id) {
      const e = entries.get(id);
      return e ? queue.indexOf(e) : null;
    },
    submitters() {
      const out = new Map<string, SubmitterCount>();
      for (const [name, n] of waitingOf) out.set(name, { submitter: name, queued: n, running: 0 });
      for (const [name, n] of active.submitters())
        out.set(name, { submitter: name, queued: out.get(name)?.queued ?? 0, running: n });
      return [...out.values()];
    },
    activeCount: (type) => (type === undefined ? active.size : active.ofType(type)),
  };
}
