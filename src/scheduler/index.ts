/**
 * Admission: which queued job starts next. Jobs wait in submission order; a job starts
 * when fewer than `running` jobs are active in all and fewer than its type's `concurrent`
 * are active of its type. A job whose type is full does not block other types behind it.
 * Pure bookkeeping: the caller moves and launches jobs.
 */
export interface QueuedJob {
  id: string;
  type: string;
  /** Submission time (ms); the queue is ordered by it, so a rerun keeps its place. */
  submitted: number;
}

/** The scheduler's view: queued jobs and active (admitted, not yet ended) jobs. */
export interface Scheduler {
  enqueue(job: QueuedJob): void;
  /** Forget a queued job (cancelled or deleted while waiting). */
  dequeue(id: string): boolean;
  /** Mark a job active (admitted now, or found running after a restart). */
  activate(id: string, type: string): void;
  /** The job is no longer active. */
  release(id: string): void;
  /** Take the next jobs that may start now (marks them active). */
  admit(): QueuedJob[];
  isQueued(id: string): boolean;
  isActive(id: string): boolean;
  queued(): readonly QueuedJob[];
  activeCount(type?: string): number;
}

/** A scheduler with a global limit and per-type limits (null: only the global one). */
export function createScheduler(limit: number, perType: (type: string) => number | null): Scheduler {
  const queue: QueuedJob[] = [];
  const queuedIds = new Set<string>();
  const active = new Map<string, string>();
  const byType = new Map<string, number>();
  const activate = (id: string, type: string) => {
    if (active.has(id)) return;
    active.set(id, type);
    byType.set(type, (byType.get(type) ?? 0) + 1);
  };
  return {
    enqueue(job) {
      if (queuedIds.has(job.id) || active.has(job.id)) return;
      queuedIds.add(job.id);
      let i = queue.length;
      while (i > 0 && queue[i - 1]!.submitted > job.submitted) i--;
      queue.splice(i, 0, job);
    },
    dequeue(id) {
      if (!queuedIds.delete(id)) return false;
      queue.splice(queue.findIndex((j) => j.id === id), 1);
      return true;
    },
    activate,
    release(id) {
      const type = active.get(id);
      if (type === undefined) return;
      active.delete(id);
      byType.set(type, (byType.get(type) ?? 1) - 1);
    },
    admit() {
      const out: QueuedJob[] = [];
      for (let i = 0; i < queue.length && active.size < limit; ) {
        const job = queue[i]!;
        const cap = perType(job.type);
        if (cap !== null && (byType.get(job.type) ?? 0) >= cap) {
          i++;
          continue;
        }
        queue.splice(i, 1);
        queuedIds.delete(job.id);
        activate(job.id, job.type);
        out.push(job);
      }
      return out;
    },
    isQueued: (id) => queuedIds.has(id),
    isActive: (id) => active.has(id),
    queued: () => queue,
    activeCount: (type) => (type === undefined ? active.size : byType.get(type) ?? 0),
  };
}
