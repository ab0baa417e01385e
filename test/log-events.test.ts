/**
 * The log's events are declared once (src/log.ts, LogEvents): a call is checked against the
 * map by tsc, and the metrics count the typed events the code logs, through the same tap
 * that writes the JSON line.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLog, type Log } from '../src/log.js';
import { createMetrics } from '../src/metrics/prometheus.js';

/** Never called: tsc (npm test type-checks test/) fails when the map lets any of these through. */
export function _checkedByTsc(log: Log): void {
  // @ts-expect-error an event the map does not declare (misspelt)
  log('job_submited', { job: 'a', type: 't' });
  // @ts-expect-error a field the event needs is missing
  log('job_submitted', { job: 'a' });
  // @ts-expect-error a field of the wrong type
  log('job_started', { job: 'a', type: 't', attempt: '1', runner: 'local' });
  // @ts-expect-error the fields left out altogether
  log('rescan_failed');
}

describe('typed log events', () => {
  test('the metrics count the events logged through their tap, and the JSON line is written as before', async () => {
    const lines: string[] = [];
    const metrics = createMetrics(['t'], async () => ({
      submitted: 1000,
      started: 3000,
      ended: 7000,
    }));
    const log = metrics.tap(createLog('probe', (l) => void lines.push(l)));
    log('job_submitted', { job: 'a', type: 't', via: 'socket' });
    log('job_submitted', { job: 'b', type: 't' });
    log('job_completed', { job: 'a', type: 't' });
    log('job_failed', { job: 'b', type: 't', failure: 'boom', kind: 'program' });
    log('job_started', { job: 'c', type: 't', attempt: 1, runner: 'local' });
    while (metrics.pending()) await new Promise((r) => setTimeout(r, 5));
    const text = metrics.render([]);
    assert.match(text, /^jobdir_jobs_submitted_total\{type="t"\} 2$/m);
    assert.match(text, /^jobdir_jobs_completed_total\{type="t"\} 1$/m);
    assert.match(text, /^jobdir_jobs_failed_total\{type="t"\} 1$/m);
    assert.match(text, /^jobdir_job_run_seconds_count\{type="t"\} 2$/m);
    assert.match(text, /^jobdir_job_run_seconds_sum\{type="t"\} 8$/m);
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(
      parsed.map(({ t: _t, ...rest }) => rest),
      [
        {
          level: 'info',
          component: 'probe',
          event: 'job_submitted',
          job: 'a',
          type: 't',
          via: 'socket',
        },
        { level: 'info', component: 'probe', event: 'job_submitted', job: 'b', type: 't' },
        { level: 'info', component: 'probe', event: 'job_completed', job: 'a', type: 't' },
        {
          level: 'error',
          component: 'probe',
          event: 'job_failed',
          job: 'b',
          type: 't',
          failure: 'boom',
          kind: 'program',
        },
        {
          level: 'info',
          component: 'probe',
          event: 'job_started',
          job: 'c',
          type: 't',
          attempt: 1,
          runner: 'local',
        },
      ],
    );
    assert.ok(parsed.every((l) => typeof l.t === 'string' && !Number.isNaN(Date.parse(l.t))));
    assert.deepEqual(Object.keys(parsed[0]!).slice(0, 4), ['t', 'level', 'component', 'event']);
  });
});
