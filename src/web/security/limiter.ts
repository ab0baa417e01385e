/**
 * Fixed-window counters per key (client address), in memory: a web process restart
 * forgets them, which is acceptable for abuse control. Old windows are dropped lazily
 * and the table is capped so a flood of distinct addresses cannot exhaust memory.
 */
export interface Counter {
  /** Count one event for `key`; returns how many it has had in the current window (this one included). */
  hit(key: string, now?: number): number;
  /** Milliseconds until `key`'s window ends. */
  resetIn(key: string, now?: number): number;
}

/** A counter with windows of `windowMs`, holding at most `maxKeys` addresses. */
export function createCounter(windowMs: number, maxKeys = 100_000): Counter {
  const table = new Map<string, { start: number; n: number }>();
  const current = (key: string, now: number) => {
    const e = table.get(key);
    return e && now - e.start < windowMs ? e : null;
  };
  return {
    hit(key, now = Date.now()) {
      let e = current(key, now);
      if (!e) {
        if (table.size >= maxKeys) {
          for (const [k, v] of table) if (now - v.start >= windowMs) table.delete(k);
          if (table.size >= maxKeys) table.delete(table.keys().next().value!);
        }
        e = { start: now, n: 0 };
        table.set(key, e);
      }
      return ++e.n;
    },
    resetIn(key, now = Date.now()) {
      const e = current(key, now);
      return e ? windowMs - (now - e.start) : 0;
    },
  };
}

/**
 * Delay for the n-th miss of a window when `limit` are allowed: none up to the limit,
 * then doubling from 50 ms, capped at `maxMs`.
 */
export function missDelay(n: number, limit: number, maxMs: number): number {
  if (n <= limit || maxMs <= 0) return 0;
  return Math.min(maxMs, 50 * 2 ** Math.min(20, n - limit - 1));
}
