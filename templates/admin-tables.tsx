/** @jsxRuntime automatic @jsxImportSource jobdir */
/** The dashboard's tables of running, queued and failed jobs, and the admin action buttons (JSX). */
import type { Child } from 'hono/jsx';
import type { DashboardData } from '../src/ops/dashboard.js';
import { formatAge } from '../src/config/duration.js';
import { under } from '../src/config/urltop.js';
import { STATES } from '../src/states.js';

/** The admin actions the dashboard offers, with what the confirm page says of each. */
export const ADMIN_ACTIONS = {
  resubmit: { label: 'Resubmit', says: 'queue it again (its failure is kept in its history)' },
  cancel: {
    label: 'Cancel',
    says: 'stop it; it ends as failed ("cancelled") and the user is mailed',
  },
  fail: { label: 'Fail', says: 'stop it and mark it as failed by the administrator' },
  delete: { label: 'Delete', says: 'delete its directory and every link to it, for good' },
} as const;

/** The admin pages' navigation; `current` is marked for screen readers and shown as such. */
export function AdminNav({ base, current }: { base: string; current?: 'dashboard' | 'search' }) {
  return (
    <nav aria-label="Admin">
      <a href={under(base, '/admin')} aria-current={current === 'dashboard' ? 'page' : undefined}>
        Dashboard
      </a>
      <a href={under(base, '/admin/jobs')} aria-current={current === 'search' ? 'page' : undefined}>
        Search jobs
      </a>
      <a href={under(base, '/metrics')}>Metrics</a>
      <a href={under(base, '/healthz')}>Health</a>
      <a href={under(base, '/')}>Form</a>
    </nav>
  );
}

/** One of ADMIN_ACTIONS' names. */
export type AdminAction = keyof typeof ADMIN_ACTIONS;

/** A time as `YYYY-MM-DD HH:MM` (UTC), or – for none. */
export const iso = (ms: number | null) =>
  ms ? new Date(ms).toISOString().slice(0, 16).replace('T', ' ') : '–';

/** A one-button form posting `action` for job `id` (the confirm page follows). */
export function ActionButton({
  id,
  action,
  csrf,
  base,
}: {
  id: string;
  action: AdminAction;
  csrf: string;
  /** The service's prefix (the frame's `base`). */
  base: string;
}) {
  const a = ADMIN_ACTIONS[action];
  return (
    <form method="post" action={under(base, `/admin/jobs/${id}/${action}`)}>
      <input type="hidden" name="csrf" value={csrf} />
      <button
        type="submit"
        id={`${action}-${id}`}
        class={action === 'delete' || action === 'fail' ? 'danger' : ''}
        aria-label={`${a.label} job ${id}`}
      >
        {a.label}
      </button>
    </form>
  );
}

type Row<K extends 'running' | 'queue' | 'failures'> = DashboardData[K][number];

/**
 * A table of the admin pages that turns into cards on a phone: a head row of `heads` (each
 * cell of a row names its column in data-label, shown on the card), then the rows.
 */
export function CardTable({
  id,
  label,
  labelledBy,
  heads,
  children,
}: {
  id: string;
  label?: string;
  labelledBy?: string;
  heads: string[];
  children?: Child;
}) {
  return (
    <div class="scroll cards">
      <table id={id} aria-labelledby={labelledBy} aria-label={label}>
        <tr class="head">
          {heads.map((h) => (
            <th>{h}</th>
          ))}
        </tr>
        {children}
      </table>
    </div>
  );
}

/** A table's first cell: the job's id, linking to its admin page. */
export function JobCell({ id, base }: { id: string; base: string }) {
  return (
    <td data-label="Job">
      <a href={under(base, `/admin/jobs/${id}`)}>{id}</a>
    </td>
  );
}

function Progress({ r }: { r: Row<'running'> }) {
  if (!r.progress) return <>–</>;
  const pct = r.progress.fraction === null ? null : Math.round(r.progress.fraction * 100);
  return (
    <>
      {pct !== null ? (
        <>
          <progress max="100" value={pct} aria-label={`Progress of job ${r.id}`}>
            {pct}%
          </progress>{' '}
          {pct}%
        </>
      ) : (
        ''
      )}{' '}
      <span class="muted">{r.progress.message}</span>
    </>
  );
}

/** The jobs running now, with cancel and fail buttons. */
export function RunningTable({ d, csrf, base }: { d: DashboardData; csrf: string; base: string }) {
  if (!d.running.length) return <p>No job is running.</p>;
  return (
    <CardTable
      id="running"
      labelledBy="running-h"
      heads={['Job', 'Type', 'State', 'Run time', 'Progress', 'Where', 'Actions']}
    >
      {d.running.map((r) => (
        <tr id={`run-${r.id}`}>
          <JobCell id={r.id} base={base} />
          <td data-label="Type">{r.type}</td>
          <td data-label="State">
            {r.state}
            {r.attempt > 1 ? ` (attempt ${r.attempt})` : ''}
            {r.cancelRequested ? ' · stop requested' : ''}
          </td>
          <td data-label="Run time">{r.started ? formatAge(d.now - r.started) : '–'}</td>
          <td data-label="Progress">
            <Progress r={r} />
          </td>
          <td data-label="Where">{r.where || '–'}</td>
          <td data-label="Actions">
            {r.state === STATES.RUNNING || r.state === STATES.PREPROCESSING ? (
              <>
                <ActionButton id={r.id} action="cancel" csrf={csrf} base={base} />
                <ActionButton id={r.id} action="fail" csrf={csrf} base={base} />
              </>
            ) : (
              ''
            )}
          </td>
        </tr>
      ))}
    </CardTable>
  );
}

/** Waiting and running jobs per submitter (the first 50), then the queue in start order. */
export function QueueTables({ d, csrf, base }: { d: DashboardData; csrf: string; base: string }) {
  return (
    <>
      {d.submitters.length ? (
        <>
          <CardTable
            id="submitters"
            label="Jobs per submitter"
            heads={['Submitter', 'Waiting', 'Running']}
          >
            {d.submitters.slice(0, 50).map((s) => (
              <tr class="submitter">
                <td data-label="Submitter">{s.submitter || '(unknown)'}</td>
                <td data-label="Waiting">{s.queued}</td>
                <td data-label="Running">{s.running}</td>
              </tr>
            ))}
          </CardTable>
          {d.submitters.length > 50 ? (
            <p class="muted">and {d.submitters.length - 50} more submitters.</p>
          ) : (
            ''
          )}
        </>
      ) : (
        ''
      )}
      {d.queue.length ? (
        <>
          <CardTable
            id="queue"
            labelledBy="queue-h"
            heads={['#', 'Job', 'Type', 'Submitter', 'Submitted', 'Waiting', 'Actions']}
          >
            {d.queue.map((q: Row<'queue'>) => (
              <tr id={`queued-${q.id}`}>
                <td data-label="#">{q.position}</td>
                <JobCell id={q.id} base={base} />
                <td data-label="Type">{q.type}</td>
                <td data-label="Submitter">{q.submitter || '(unknown)'}</td>
                <td data-label="Submitted">{iso(q.submitted)}</td>
                <td data-label="Waiting">{formatAge(d.now - q.submitted)}</td>
                <td data-label="Actions">
                  <ActionButton id={q.id} action="cancel" csrf={csrf} base={base} />
                  <ActionButton id={q.id} action="delete" csrf={csrf} base={base} />
                </td>
              </tr>
            ))}
          </CardTable>
          {d.queueTotal > d.queue.length ? (
            <p class="muted">and {d.queueTotal - d.queue.length} more.</p>
          ) : (
            ''
          )}
        </>
      ) : (
        <p>The queue is empty.</p>
      )}
    </>
  );
}

/** The most recent failures, with resubmit and delete buttons. */
export function FailuresTable({ d, csrf, base }: { d: DashboardData; csrf: string; base: string }) {
  if (!d.failures.length) return <p>No failed jobs.</p>;
  return (
    <CardTable
      id="failures"
      labelledBy="failures-h"
      heads={['Job', 'Type', 'Failed at (UTC)', 'Error', 'Actions']}
    >
      {d.failures.map((f: Row<'failures'>) => (
        <tr id={`failed-${f.id}`}>
          <JobCell id={f.id} base={base} />
          <td data-label="Type">{f.type}</td>
          <td data-label="Failed at (UTC)">{iso(f.finished)}</td>
          <td data-label="Error" class="err-text">
            {f.failure}
            {f.kind ? (
              <>
                {' '}
                <span class="muted">({f.kind})</span>
              </>
            ) : (
              ''
            )}
          </td>
          <td data-label="Actions">
            <ActionButton id={f.id} action="resubmit" csrf={csrf} base={base} />
            <ActionButton id={f.id} action="delete" csrf={csrf} base={base} />
          </td>
        </tr>
      ))}
    </CardTable>
  );
}
