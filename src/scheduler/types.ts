/** What the scheduler is told of a queued job. */
export interface QueuedJob {
  id: string;
  type: string;
  /** Submission time (ms); a rerun or a requeued job keeps it, and so its place. */
  submitted: number;
  /** Who it counts against: an email address, a client address, or what the socket or CLI gave. */
  submitter: string;
}

/** A queued job given a run slot by admit: `slot` names that grant (see Scheduler.release). */
export interface Admitted extends QueuedJob {
  slot: number;
}

/** How many jobs one submitter has waiting and holding a slot. */
export interface SubmitterCount {
  submitter: string;
  queued: number;
  running: number;
}

/** The limits and the order of a scheduler. */
export interface SchedulerOptions {
  /** At most this many jobs of one submitter hold a slot at once; null: no cap. */
  perUser?: number | null;
  /** fair (default): submitters take turns (start-time fair queueing, turns.ts); fifo: submission order. */
  order?: 'fair' | 'fifo';
}

/**
 * The scheduler's view: queued jobs and active (admitted, not yet ended) jobs. A job is
 * queued or active, never both, and holds at most one slot.
 */
export interface Scheduler {
  /** Queue a job (no-op when it is queued or holds a slot). */
  enqueue(job: QueuedJob): void;
  /** Forget a queued job (cancelled or deleted while waiting). */
  dequeue(id: string): boolean;
  /**
   * Job `id` holds a slot (found running after a restart, or still running when judged);
   * it leaves the queue if it waited there. Returns its slot (the one it held, if any).
   */
  activate(id: string, type: string, submitter?: string): number;
  /**
   * Give back slot `slot` of job `id`. Only that grant is freed: false, and nothing
   * freed, when the job holds no slot or another one (given up and granted again since).
   */
  release(id: string, slot: number): boolean;
  /** The slot job `id` holds, or null. */
  slotOf(id: string): number | null;
  /** Take the next jobs that may start now, each with the slot it is granted. */
  admit(): Admitted[];
  isQueued(id: string): boolean;
  isActive(id: string): boolean;
  /** The first `rows` queued jobs (all by default), in the order they would start (see position). */
  queued(rows?: number): QueuedJob[];
  /** How many jobs wait. */
  queuedCount(): number;
  /**
   * How many queued jobs come before job `id` in the order of queued() (null: not
   * queued): with no job arriving, jobs start in that order as slots come free. Per-type
   * and per-user limits may hold a job back when its turn comes; the slot then goes to
   * the next job in this order that may run.
   */
  position(id: string): number | null;
  /** Submitters with jobs queued or holding a slot. */
  submitters(): SubmitterCount[];
  activeCount(type?: string): number;
}
