/**
 * Prometheus metrics of this process: counters and histograms fed by the structured log's
 * events (job_submitted, job_completed, job_failed), typed by the one event map (log.ts),
 * rendered in the text exposition format with gauges the caller reads from disk at scrape
 * time. Counters start at zero when the process starts, as Prometheus expects; the history
 * itself is on disk.
 */
import type { Log, LogEvent, LogEvents } from '../log.js';

/** Histogram buckets in seconds: from a second to a day. */
export const TIME_BUCKETS = [1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 12 * 3600, 86_400];

/** A job's times, looked up after it ended (null when unknown). */
export type TimesLookup = (
  id: string,
  ended: 'completed' | 'failed',
) => Promise<{ submitted: number | null; started: number | null; ended: number | null } | null>;

/** A gauge sample: metric name, labels, value. */
export interface Sample {
  name: string;
  help: string;
  labels?: Record<string, string>;
  value: number;
}

/** The metrics of one process. */
export interface Metrics {
  /** Feed one log event (the tap on `log`). */
  observe<E extends LogEvent>(event: E, fields: LogEvents[E]): void;
  /** `log` that also feeds these metrics. */
  tap(log: Log): Log;
  /** Lookups of finished jobs' times still pending (tests wait on it). */
  pending(): number;
  /** The text exposition of every metric, plus `gauges`. */
  render(gauges: readonly Sample[]): string;
}

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const labelText = (l: Record<string, string> = {}) => {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${esc(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
};
const num = (n: number) =>
  Number.isFinite(n) ? String(Math.round(n * 1000) / 1000) : n > 0 ? '+Inf' : '-Inf';

/**
 * Metrics for a service whose job types are `types` (each gets zero-valued series at
 * once). A job's end event names its run and queue-wait times (run_s, wait_s) when the
 * backend knew them; otherwise `times` finds them for the histograms;
 * at most 4 lookups run at once and at most 10,000 wait (beyond that they are dropped and
 * counted), so a burst of job ends never queues unbounded work behind the backend.
 */
export function createMetrics(types: readonly string[], times: TimesLookup): Metrics {
  const submitted = new Map<string, number>();
  const completed = new Map<string, number>();
  const failed = new Map<string, number>();
  const runTime = new Map<string, Histogram>();
  const wait = new Map<string, Histogram>();
  for (const t of types) for (const m of [submitted, completed, failed]) m.set(t, 0);
  let dropped = 0;
  const queue: { id: string; type: string; ended: 'completed' | 'failed' }[] = [];
  let busy = 0;

  const add = (m: Map<string, number>, key: string) => m.set(key, (m.get(key) ?? 0) + 1);
  const observeTime = (m: Map<string, Histogram>, type: string, seconds: number) => {
    if (!(seconds >= 0)) return;
    let h = m.get(type);
    if (!h) m.set(type, (h = { counts: TIME_BUCKETS.map(() => 0), sum: 0, count: 0 }));
    TIME_BUCKETS.forEach((le, i) => void (seconds <= le && h.counts[i]!++));
    h.sum += seconds;
    h.count++;
  };
  const pump = () => {
    while (busy < 4 && queue.length) {
      const { id, type, ended } = queue.shift()!;
      busy++;
      void times(id, ended)
        .then(
          (t) => {
            if (t?.started != null && t.ended != null)
              observeTime(runTime, type, (t.ended - t.started) / 1000);
            if (t?.started != null && t.submitted != null)
              observeTime(wait, type, (t.started - t.submitted) / 1000);
          },
          () => {},
        )
        .finally(() => {
          busy--;
          pump();
        });
    }
  };

  const ended = (f: LogEvents['job_completed'], outcome: 'completed' | 'failed') => {
    add(outcome === 'completed' ? completed : failed, f.type);
    // The backend names the times it knew (the run's markers were just read): no lookup.
    if (f.run_s !== undefined && f.wait_s !== undefined) {
      observeTime(runTime, f.type, f.run_s);
      observeTime(wait, f.type, f.wait_s);
    } else if (queue.length >= 10_000) dropped++;
    else {
      queue.push({ id: f.job, type: f.type, ended: outcome });
      pump();
    }
  };
  /** What each event the metrics count does to them, by the event's typed fields. */
  const counts: { [E in LogEvent]?: (fields: LogEvents[E]) => void } = {
    job_submitted: (f) => add(submitted, f.type),
    job_completed: (f) => ended(f, 'completed'),
    job_failed: (f) => ended(f, 'failed'),
  };

  const metrics: Metrics = {
    observe(event, fields) {
      counts[event]?.(fields);
    },
    tap(log) {
      return (event, fields) => {
        metrics.observe(event, fields);
        log(event, fields);
      };
    },
    pending: () => queue.length + busy,
    render(gauges) {
      const out: string[] = [];
      const byName = new Map<string, Sample[]>();
      for (const g of gauges) byName.set(g.name, [...(byName.get(g.name) ?? []), g]);
      for (const [name, samples] of byName) {
        out.push(`# HELP ${name} ${samples[0]!.help}`, `# TYPE ${name} gauge`);
        for (const s of samples) out.push(`${name}${labelText(s.labels)} ${num(s.value)}`);
      }
      const counter = (name: string, help: string, m: Map<string, number>) => {
        out.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
        for (const [type, v] of [...m].sort()) out.push(`${name}${labelText({ type })} ${v}`);
      };
      counter(
        'jobdir_jobs_submitted_total',
        'Jobs submitted through this process, by job type.',
        submitted,
      );
      counter(
        'jobdir_jobs_completed_total',
        "Jobs that completed in this process's backend, by job type.",
        completed,
      );
      counter(
        'jobdir_jobs_failed_total',
        "Jobs that failed in this process's backend, by job type.",
        failed,
      );
      const histogram = (name: string, help: string, m: Map<string, Histogram>) => {
        out.push(`# HELP ${name} ${help}`, `# TYPE ${name} histogram`);
        for (const [type, h] of [...m].sort()) {
          TIME_BUCKETS.forEach((le, i) =>
            out.push(`${name}_bucket${labelText({ type, le: String(le) })} ${h.counts[i]}`),
          );
          out.push(
            `${name}_bucket${labelText({ type, le: '+Inf' })} ${h.count}`,
            `${name}_sum${labelText({ type })} ${num(h.sum)}`,
            `${name}_count${labelText({ type })} ${h.count}`,
          );
        }
      };
      histogram(
        'jobdir_job_run_seconds',
        'Run time of ended jobs (wrapper start to SUCCESS/ERROR), by job type.',
        runTime,
      );
      histogram(
        'jobdir_job_queue_wait_seconds',
        'Time from submission to the start of the last run, by job type.',
        wait,
      );
      out.push(
        '# HELP jobdir_metrics_lookups_dropped_total Ended jobs left out of the histograms because too many lookups were waiting.',
        '# TYPE jobdir_metrics_lookups_dropped_total counter',
        `jobdir_metrics_lookups_dropped_total ${dropped}`,
      );
      return out.join('\n') + '\n';
    },
  };
  return metrics;
}
