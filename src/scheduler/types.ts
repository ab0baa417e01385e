/** What the scheduler is told of a queued job. */
export interface QueuedJob {
  id: string;
  type: string;
  /** Submission time (ms); a rerun or a requeued job keeps it, and so its place. */
  submitted: number;
  /** Who it counts against: an email address, a client address, or what the socket or CLI gave. */
  submitter: string;
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
  /** fair (default): fewest running first, then longest waiting; fifo: submission order. */
  order?: 'fair' | 'fifo';
}

/** The scheduler's view: queued jobs and active (admitted, not yet ended) jobs. */
export interface Scheduler {
  enqueue(job: QueuedJob): void;
  /** Forget a queued job (cancelled or deleted while waiting). */
  dequeue(id: string): boolean;
  /** Mark a job active (admitted now, or found running after a restart). */
  activate(id: string, type: string, submitter?: string): void;
  /** The job is no longer active. */
  release(id: string): void;
  /** Take the next jobs that may start now (marks them active). */
  admit(): QueuedJob[];
  isQueued(id: string): boolean;
  isActive(id: string): boolean;
  /** Every queued job, in the order they would start (see position). */
  queued(): QueuedJob[];
  /** How many jobs wait. */
  queuedCount(): number;
  /**
   * How many queued jobs would start before job `id` if no job arrived, left or ended
   * meanwhile (null: not queued). Per-type and per-user limits may hold a job back when
   * its turn comes; the slot then goes to the next job in this order that may run.
   */
  position(id: string): number | null;
  /** Submitters with jobs queued or holding a slot. */
  submitters(): SubmitterCount[];
  activeCount(type?: string): number;
}
