/**
 * Fair share: the next free slot goes to the submitter with the fewest jobs
 * holding a slot, then to the one whose oldest waiting job has waited longest; within a
 * submitter, jobs go in submission order.
 *
 * Each submitter has its waiting jobs in submission order, in all and per job type; per
 * job type, a heap orders the submitters with waiting jobs of that type by (running,
 * submission of their first waiting job of that type). An admission looks at the top of
 * each type's heap whose type is not full and takes the best: O(types · log submitters).
 * The top submitter of a heap is below the per-user cap unless every one in it is at the
 * cap (running is the first key), so the cap costs nothing to check.
 *
 * Position. Without arrivals, departures or ends, submitter u's k-th waiting job (k from
 * 0) starts when u has running_u + k jobs running, so the start order is the order of the
 * key (running_u + k, submission): the job's "round", then its own submission time (at
 * its turn it is its submitter's oldest waiting job). A start keeps every other key as it
 * was (running_u + 1, k − 1), so the order stays put as the queue drains; a job ending
 * moves its submitter's waiting jobs one round earlier, a new job enters at the end of
 * its submitter's rounds. position(j) counts the jobs with a smaller key: per submitter
 * with waiting jobs, an index computation and at most one comparison (O(1)), so
 * O(submitters with waiting jobs), never a scan of the queued jobs. Not O(log n), on
 * purpose: an end (or a cancel of a submitter's head) shifts a whole submitter's keys, and
 * exact counts under such shifts reduce from online matrix-vector multiplication (OMv), so
 * no structure is expected to make both positions and updates O(n^(1/2−ε)); this loop keeps
 * every update O(log) and pays in the position, which only pages and the API ask for.
 */
import { ActiveJobs, slotMembers } from './active.js';
import { earlier, type Entry, SortedDeque } from './deque.js';
import { IndexedHeap } from './heap.js';
import type { Admitted, QueuedJob, Scheduler, SchedulerOptions, SubmitterCount } from './types.js';

interface Sub {
  name: string;
  /** Its jobs holding a slot (kept equal to active.of(name)). */
  running: number;
  queue: SortedDeque;
  byType: Map<string, SortedDeque>;
}

const toJob = ({ id, type, submitted, submitter }: Entry): QueuedJob => ({
  id,
  type,
  submitted,
  submitter,
});

/** A fair-share scheduler with a global limit, per-type limits and an optional per-submitter cap. */
export function fairScheduler(
  limit: number,
  perType: (type: string) => number | null,
  { perUser = null }: SchedulerOptions = {},
): Scheduler {
  const subs = new Map<string, Sub>();
  const entries = new Map<string, Entry>();
  const heaps = new Map<string, IndexedHeap<Sub>>();
  const waiting = new Set<Sub>();
  const active = new ActiveJobs((name) => {
    const s = subs.get(name);
    if (!s) return;
    s.running = active.of(name);
    touch(s);
  });
  let seq = 0;
  const running = (s: Sub) => s.running;
  const heapOf = (type: string) => {
    let h = heaps.get(type);
    if (!h) {
      h = new IndexedHeap<Sub>((a, b) =>
        running(a) !== running(b)
          ? running(a) < running(b)
          : earlier(a.byType.get(type)!.at(0)!, b.byType.get(type)!.at(0)!),
      );
      heaps.set(type, h);
    }
    return h;
  };
  /** Re-place `s` in each heap it is in (its running count or a head changed). */
  function touch(s: Sub): void {
    for (const type of s.byType.keys()) heapOf(type).update(s);
  }
  const subOf = (name: string) => {
    let s = subs.get(name);
    if (!s)
      subs.set(
        name,
        (s = { name, running: active.of(name), queue: new SortedDeque(), byType: new Map() }),
      );
    return s;
  };
  function take(e: Entry): void {
    const s = subs.get(e.submitter)!;
    entries.delete(e.id);
    s.queue.remove(e);
    const dq = s.byType.get(e.type)!;
    dq.remove(e);
    if (dq.length === 0) {
      s.byType.delete(e.type);
      heapOf(e.type).remove(s);
    } else {
      heapOf(e.type).update(s);
    }
    if (s.queue.length === 0) {
      waiting.delete(s);
      subs.delete(s.name);
    }
  }
  const full = (type: string) => {
    const cap = perType(type);
    return cap !== null && active.ofType(type) >= cap;
  };

  return {
    enqueue(job) {
      if (entries.has(job.id) || active.has(job.id)) return;
      const e: Entry = { ...job, seq: seq++ };
      entries.set(e.id, e);
      const s = subOf(e.submitter);
      s.queue.insert(e);
      let dq = s.byType.get(e.type);
      if (!dq) s.byType.set(e.type, (dq = new SortedDeque()));
      dq.insert(e);
      heapOf(e.type).update(s);
      waiting.add(s);
    },
    ...slotMembers(active, entries, take),
    admit() {
      const out: Admitted[] = [];
      while (active.size < limit) {
        let best: Sub | null = null;
        let bestType = '';
        for (const [type, heap] of heaps) {
          const s = heap.peek();
          if (!s || full(type) || (perUser !== null && running(s) >= perUser)) continue;
          if (
            !best ||
            running(s) < running(best) ||
            (running(s) === running(best) &&
              earlier(s.byType.get(type)!.at(0)!, best.byType.get(bestType)!.at(0)!))
          ) {
            best = s;
            bestType = type;
          }
        }
        if (!best) break;
        const e = best.byType.get(bestType)!.at(0)!;
        take(e);
        out.push({ ...toJob(e), slot: active.add(e.id, e.type, e.submitter) });
      }
      return out;
    },
    isQueued: (id) => entries.has(id),
    isActive: (id) => active.has(id),
    queued() {
      const keyed: { e: Entry; round: number }[] = [];
      for (const s of waiting) {
        let k = running(s);
        for (const e of s.queue) keyed.push({ e, round: k++ });
      }
      keyed.sort((a, b) => a.round - b.round || (earlier(a.e, b.e) ? -1 : 1));
      return keyed.map((x) => toJob(x.e));
    },
    queuedCount: () => entries.size,
    position(id) {
      const e = entries.get(id);
      if (!e) return null;
      const own = subs.get(e.submitter)!;
      const k = own.queue.indexOf(e);
      const round = running(own) + k;
      let ahead = k;
      for (const u of waiting) {
        if (u === own) continue;
        const i = round - running(u);
        if (i < 0) continue;
        if (i >= u.queue.length) ahead += u.queue.length;
        else ahead += i + (earlier(u.queue.at(i)!, e) ? 1 : 0);
      }
      return ahead;
    },
    submitters() {
      const out = new Map<string, SubmitterCount>();
      for (const s of waiting)
        out.set(s.name, { submitter: s.name, queued: s.queue.length, running: 0 });
      for (const [name, n] of active.submitters())
        out.set(name, { submitter: name, queued: out.get(name)?.queued ?? 0, running: n });
      return [...out.values()];
    },
    activeCount: (type) => (type === undefined ? active.size : active.ofType(type)),
  };
}
