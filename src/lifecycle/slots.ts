/**
 * Run slots: at most `n` programs running at once (`[limits] running`). A job takes its
 * slot only once it is fully prepared (hooks run, argv written), so the next jobs are made
 * ready while others run and a freed slot is refilled by one rename and one pipe write.
 * Waiting is FIFO; a waiter can be turned away (its job was cancelled while it waited).
 */
export interface Slots {
  /** Wait for a slot for job `id`; false when the wait was aborted. */
  acquire(id: string): Promise<boolean>;
  /** Hold a slot for `id` now, even over the limit (a job found running after a restart). */
  hold(id: string): void;
  /** Give back `id`'s slot (or stop its wait). Safe to call twice. */
  release(id: string): void;
  /** Turn away `id` if it is waiting. */
  abort(id: string): void;
  /** Jobs holding a slot. */
  readonly inUse: number;
  /** Ids of the jobs waiting for a slot. */
  waiting(): string[];
}

/** Slots for `n` programs at once. */
export function createSlots(n: number): Slots {
  const holders = new Set<string>();
  const waiting = new Map<string, (ok: boolean) => void>();
  const next = () => {
    for (const [id, resolve] of waiting) {
      if (holders.size >= n) return;
      waiting.delete(id);
      holders.add(id);
      resolve(true);
    }
  };
  return {
    acquire(id) {
      if (holders.has(id)) return Promise.resolve(true);
      if (holders.size < n && waiting.size === 0) {
        holders.add(id);
        return Promise.resolve(true);
      }
      return new Promise<boolean>((resolve) => {
        waiting.set(id, resolve);
        next();
      });
    },
    hold(id) {
      holders.add(id);
    },
    release(id) {
      if (holders.delete(id)) next();
      else this.abort(id);
    },
    abort(id) {
      const w = waiting.get(id);
      if (!w) return;
      waiting.delete(id);
      w(false);
    },
    get inUse() {
      return holders.size;
    },
    waiting: () => [...waiting.keys()],
  };
}
