/**
 * Fair share: jobs start in turn order (turns.ts: start-time fair queueing), inside the
 * limits: at most `running` jobs hold a slot, at most a type's `concurrent` of that type,
 * at most `per_user` of one submitter. Work-conserving: where a limit holds the next job
 * back, the slot goes to the first job after it in turn order that may start.
 *
 * Finding that job without walking past the held-back ones: per job type, a heap of the
 * submitters with waiting jobs of that type that are below `per_user`, keyed by the turn
 * of their first waiting job of that type (a submitter's jobs hold its turns in submission
 * order, so that job holds its best turn of the type). A submitter reaching `per_user`
 * leaves every heap it is in and comes back when one of its jobs ends. The job to start is
 * the best top among the heaps of the types below `concurrent`: O(types with waiting jobs)
 * to look, O(log n) to start it. An arrival, a cancel and an end are O(log n) (an end that
 * brings a submitter back under `per_user`, or an arrival out of submission order,
 * re-places it in the heaps of its types); a position is the rank of the job's turn,
 * O(log n).
 *
 * A position therefore counts the jobs whose turn comes first. Without a limit holding a
 * job back, and with no job arriving, jobs start in exactly that order; where a limit
 * holds a job back, the jobs after it that may start go first.
 */
import { ActiveJobs } from './active.js';
import { IndexedHeap } from './heap.js';
import { type Sub, turnBefore, Turns, type Waiting } from './turns.js';
import type { Admitted, QueuedJob, Scheduler, SchedulerOptions, SubmitterCount } from './types.js';

const toJob = ({ id, type, submitted, submitter }: Waiting): QueuedJob => ({
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
  /** Per job type: the submitters below per_user with waiting jobs of it, best turn first. */
  const heaps = new Map<string, IndexedHeap<Sub>>();
  /** Submitters at per_user. */
  const capped = new Set<string>();
  const heapOf = (type: string) => {
    let h = heaps.get(type);
    if (!h) {
      h = new IndexedHeap<Sub>((a, b) =>
        turnBefore(a.byType.get(type)!.turn, b.byType.get(type)!.turn),
      );
      heaps.set(type, h);
    }
    return h;
  };
  /** Put `sub` where it belongs in the heap of `type` (in, re-placed, or out). */
  const place = (sub: Sub, type: string) => {
    const h = heapOf(type);
    if (sub.byType.has(type) && !capped.has(sub.name)) h.update(sub);
    else h.remove(sub);
    if (h.size === 0) heaps.delete(type);
  };
  const turns = new Turns(place);
  const active = new ActiveJobs((name) => {
    if (perUser === null || active.of(name) >= perUser === capped.has(name)) return;
    if (capped.has(name)) capped.delete(name);
    else capped.add(name);
    const sub = turns.subs.get(name);
    if (sub) for (const type of sub.byType.keys()) place(sub, type);
  });
  const full = (type: string) => {
    const cap = perType(type);
    return cap !== null && active.ofType(type) >= cap;
  };
  const dequeue = (id: string): boolean => {
    const w = turns.entries.get(id);
    if (w) turns.remove(w);
    return w !== undefined;
  };

  return {
    enqueue(job) {
      if (turns.entries.has(job.id) || active.has(job.id)) return;
      turns.add(job);
    },
    dequeue,
    activate(id, type, submitter = '') {
      const w = turns.entries.get(id);
      // Found holding a slot: started, with its turn if it had one, else as of now.
      if (w) turns.started(w.submitter, turns.remove(w));
      else if (!active.has(id)) turns.started(submitter, null);
      return active.add(id, type, submitter);
    },
    release: (id, slot) => active.delete(id, slot),
    slotOf: (id) => active.slotOf(id),
    admit() {
      const out: Admitted[] = [];
      while (active.size < limit) {
        let best: Waiting | null = null;
        for (const [type, heap] of heaps) {
          if (full(type)) continue;
          const t = heap.peek()!.byType.get(type)!;
          if (!best || turnBefore(t.turn, best.sub.byType.get(best.type)!.turn))
            best = t.jobs.first()!;
        }
        if (!best) break;
        // The first of its type for its submitter: its turn is the one the heaps are keyed by.
        turns.started(best.submitter, turns.remove(best, best.sub.byType.get(best.type)!.turn));
        out.push({ ...toJob(best), slot: active.add(best.id, best.type, best.submitter) });
      }
      return out;
    },
    isQueued: (id) => turns.entries.has(id),
    isActive: (id) => active.has(id),
    queued: (rows) => [...turns.ordered(rows)].map(toJob),
    queuedCount: () => turns.entries.size,
    position(id) {
      const w = turns.entries.get(id);
      return w ? turns.rank(w) : null;
    },
    submitters() {
      const out = new Map<string, SubmitterCount>();
      for (const s of turns.subs.values())
        out.set(s.name, { submitter: s.name, queued: s.jobs.size, running: 0 });
      for (const [name, n] of active.submitters())
        out.set(name, { submitter: name, queued: out.get(name)?.queued ?? 0, running: n });
      return [...out.values()];
    },
    activeCount: (type) => (type === undefined ? active.size : active.ofType(type)),
  };
}
