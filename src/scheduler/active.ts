/**
 * The jobs holding a run slot (admitted, or found running after a restart), counted in
 * all, per job type and per submitter: what the limits `running`, `concurrent` and
 * `per_user` are checked against. Each grant of a slot has its own number: a slot is
 * given back by naming it, so a holder that gave its slot up long ago (or never had one)
 * cannot free the slot the job was granted since.
 */
import type { Entry } from './deque.js';
import type { Scheduler } from './types.js';

export class ActiveJobs {
  private readonly jobs = new Map<string, { type: string; submitter: string; slot: number }>();
  private granted = 0;
  private readonly byType = new Map<string, number>();
  private readonly bySubmitter = new Map<string, number>();

  /** `changed` hears of every submitter whose running count moved. */
  constructor(private readonly changed: (submitter: string) => void = () => {}) {}

  /** Jobs holding a slot, in all. */
  get size(): number {
    return this.jobs.size;
  }

  /** Whether job `id` holds a slot. */
  has(id: string): boolean {
    return this.jobs.has(id);
  }

  /** Jobs of `type` holding a slot. */
  ofType(type: string): number {
    return this.byType.get(type) ?? 0;
  }

  /** Jobs of `submitter` holding a slot. */
  of(submitter: string): number {
    return this.bySubmitter.get(submitter) ?? 0;
  }

  /** Every submitter with a job holding a slot, with how many. */
  submitters(): IterableIterator<[string, number]> {
    return this.bySubmitter.entries();
  }

  /** The slot job `id` holds, or null. */
  slotOf(id: string): number | null {
    return this.jobs.get(id)?.slot ?? null;
  }

  /** Job `id` takes a slot (keeps the one it holds); returns that slot. */
  add(id: string, type: string, submitter: string): number {
    const held = this.jobs.get(id);
    if (held) return held.slot;
    const slot = ++this.granted;
    this.jobs.set(id, { type, submitter, slot });
    this.byType.set(type, this.ofType(type) + 1);
    this.bySubmitter.set(submitter, this.of(submitter) + 1);
    this.changed(submitter);
    return slot;
  }

  /** Job `id` gives back slot `slot`; false (nothing freed) when that is not the slot it holds. */
  delete(id: string, slot: number): boolean {
    const j = this.jobs.get(id);
    if (!j || j.slot !== slot) return false;
    this.jobs.delete(id);
    this.byType.set(j.type, this.ofType(j.type) - 1);
    const n = this.of(j.submitter) - 1;
    if (n > 0) this.bySubmitter.set(j.submitter, n);
    else this.bySubmitter.delete(j.submitter);
    this.changed(j.submitter);
    return true;
  }
}

/**
 * What a scheduler over a plain queue (fifo.ts) does with its queue's `entries` (`leave`
 * takes one off its queue) and its active jobs: forget a waiting job, give a job a slot
 * (off the queue first), give a slot back, say which slot a job holds. (fair.ts does the
 * same, and also counts a job found holding a slot as started, for its submitter's turns.)
 */
export function slotMembers(
  active: ActiveJobs,
  entries: ReadonlyMap<string, Entry>,
  leave: (e: Entry) => void,
): Pick<Scheduler, 'dequeue' | 'activate' | 'release' | 'slotOf'> {
  const dequeue = (id: string): boolean => {
    const e = entries.get(id);
    if (!e) return false;
    leave(e);
    return true;
  };
  return {
    dequeue,
    activate(id, type, submitter = '') {
      dequeue(id);
      return active.add(id, type, submitter);
    },
    release: (id, slot) => active.delete(id, slot),
    slotOf: (id) => active.slotOf(id),
  };
}
