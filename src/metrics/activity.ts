import { STATES } from '../states.js';
import type { JobStamp } from '../store/index.js';

/** Counts per time bucket, oldest first: what the dashboard's charts draw. */
export interface ActivitySeries {
  /** Bucket length in ms (an hour or a day). */
  unitMs: number;
  /** Start of each bucket (ms since the epoch, UTC-aligned). */
  starts: number[];
  submitted: number[];
  completed: number[];
  failed: number[];
}

export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/**
 * Bucket submissions, completions and failures into the `n` buckets of `unitMs` that end
 * with the one holding `now` (buckets aligned to UTC hours or days).
 */
export function activity(
  stamps: Iterable<JobStamp>,
  now: number,
  unitMs: number,
  n: number,
): ActivitySeries {
  const first = Math.floor(now / unitMs) * unitMs - (n - 1) * unitMs;
  const starts = Array.from({ length: n }, (_, i) => first + i * unitMs);
  const zero = () => new Array<number>(n).fill(0);
  const out: ActivitySeries = {
    unitMs,
    starts,
    submitted: zero(),
    completed: zero(),
    failed: zero(),
  };
  const slot = (t: number) => {
    const i = Math.floor((t - first) / unitMs);
    return i >= 0 && i < n ? i : -1;
  };
  for (const s of stamps) {
    const i = s.submitted ? slot(s.submitted) : -1;
    if (i >= 0) out.submitted[i]!++;
    if (s.finished !== null && s.outcome) {
      const j = slot(s.finished);
      if (j >= 0) (s.outcome === STATES.FAILED ? out.failed : out.completed)[j]!++;
    }
  }
  return out;
}

/** The last day by hour and the last 30 days by day. */
export function activityCharts(
  stamps: readonly JobStamp[],
  now: number,
): { hourly: ActivitySeries; daily: ActivitySeries } {
  return { hourly: activity(stamps, now, HOUR, 24), daily: activity(stamps, now, DAY, 30) };
}
