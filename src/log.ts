import { logLevel } from './config/env.js';
import type { State } from './states.js';

/** A failure's plain words, and what went wrong (messageOf). */
type Failed = { error: string };

/**
 * Every event jobdir logs, declared once: its name and its fields' types. A log call and a
 * metric that counts an event (metrics/prometheus.ts) are typed by it, so a misspelt event or
 * a missing field fails to compile, and a metric cannot drift from the call that logs it.
 * A line's level is `error` when the name says fail, error or fatal (createLog).
 */
export type LogEvents = {
  // A job's life, in the backend (and the submission, in whichever process takes it).
  job_submitted: { job: string; type: string; via?: string; after?: string };
  job_started: { job: string; type: string; attempt: number; runner: string };
  job_requeued: { job: string; attempts: number; reason: string };
  children_started: { job: string; stage: string; children: number; made: number };
  /** run_s and wait_s: the run's and the queue wait's seconds, when the backend read its markers. */
  job_completed: { job: string; type: string; run_s?: number; wait_s?: number };
  job_failed: {
    job: string;
    type: string;
    failure?: string;
    kind?: string;
    run_s?: number;
    wait_s?: number;
  };
  job_archived: { job: string };
  job_expired: { job: string };
  job_resubmitted: { job: string };
  job_deleted: { job: string; state: State };
  step_failed: Failed & { step: string; job: string };
  hook_failed: Failed & { job: string; hook: string };
  cancel_failed: Failed & { job: string };
  sweep_failed: Failed & { job?: string; step?: string };
  // The backend itself.
  backend_ready: { queued: number; active: number };
  backend_fatal: Failed & { stack: string };
  backend_fatal_unrecorded: Failed;
  backend_fatal_unmailed: Failed;
  launcher_lost: { jobs: number };
  indexes_rebuilt: { added: number; removed: number };
  reindex_failed: Failed;
  rescan_failed: Failed;
  config_notice: { message: string };
  // Mail and notifications.
  mail_sent: { key: string; to: string | string[]; via: 'smtp' | 'outbox' };
  mail_failed: Failed & { key?: string };
  notify_failed: Failed & { job: string; via: 'mail' | 'syslog' };
  my_jobs_mail_failed: Failed;
  // The web server.
  web_ready: { url: string; service: string };
  web_request: {
    method: string;
    path: string;
    status: number;
    ms: number;
    job?: string;
    /** A 5xx answer is logged at level error. */
    level?: 'error';
  };
  web_error: Failed & { path: string; stack?: string };
  admin_action: { job: string; action: string; user: string; was: State };
  census_failed: Failed;
  // The command socket.
  socket_ready: { path: string };
  socket_error: Failed;
  socket_notify_failed: Failed & { job: string };
  socket_request_refused: { reason: string; code: string };
  socket_request_failed: Failed;
};

/** The name of an event jobdir logs. */
export type LogEvent = keyof LogEvents;

/** A structured logger: one JSON line per event on stderr (`JOBDIR_LOG=silent` mutes it). */
export type Log = <E extends LogEvent>(event: E, fields: LogEvents[E]) => void;

/**
 * A logger whose lines carry `component`. Without a `sink` it writes to stderr, or
 * nothing when the environment says `JOBDIR_LOG=silent`; a given sink always gets every line.
 */
export function createLog(component: string, sink?: (line: string) => void): Log {
  if (!sink && logLevel() === 'silent') return silentLog;
  const write = sink ?? ((l: string) => void process.stderr.write(l));
  return (event, fields) => {
    write(
      JSON.stringify({
        t: new Date().toISOString(),
        level: /fail|error|fatal/.test(event) ? 'error' : 'info',
        component,
        event,
        ...fields,
      }) + '\n',
    );
  };
}

/** A logger that drops everything (tests, quiet CLI verbs). */
export const silentLog: Log = () => {};
