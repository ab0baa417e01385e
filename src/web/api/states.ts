import { STATES, type State } from '../../states.js';

/**
 * How jobdir's states read to clients written for EBI's Job Dispatcher
 * (QUEUED, RUNNING, FINISHED, ERROR, FAILURE, NOT_FOUND) and for GA4GH WES
 * (QUEUED, INITIALIZING, RUNNING, COMPLETE, EXECUTOR_ERROR, SYSTEM_ERROR, CANCELED, …).
 * Every failed job is FAILURE to the Job Dispatcher (EBI's Perl client takes ERROR for a
 * passing server problem and polls again); WES tells EXECUTOR_ERROR (the program failed),
 * SYSTEM_ERROR (a technical failure) and CANCELED apart. ERROR is kept for a server that
 * cannot read the job just now. An unknown id is NOT_FOUND (HTTP 404); an archived job
 * is NOT_FOUND too (HTTP 410).
 */
export const STATE_MAP: Record<State, { dispatcher: string; wes: string }> = {
  [STATES.INCOMING]: { dispatcher: 'QUEUED', wes: 'QUEUED' },
  [STATES.PREPROCESSING]: { dispatcher: 'RUNNING', wes: 'INITIALIZING' },
  [STATES.RUNNING]: { dispatcher: 'RUNNING', wes: 'RUNNING' },
  [STATES.POSTPROCESSING]: { dispatcher: 'RUNNING', wes: 'RUNNING' },
  [STATES.FINALIZING]: { dispatcher: 'RUNNING', wes: 'RUNNING' },
  [STATES.COMPLETED]: { dispatcher: 'FINISHED', wes: 'COMPLETE' },
  [STATES.FAILED]: { dispatcher: 'FAILURE', wes: 'EXECUTOR_ERROR' },
  [STATES.ARCHIVED]: { dispatcher: 'NOT_FOUND', wes: 'DELETED' },
};

/** The dispatcher and WES names of a job in `state` (failure kind refines FAILED). */
export function externalState(
  state: State,
  failureKind?: string,
): { dispatcher: string; wes: string } {
  if (state === STATES.FAILED && failureKind === 'technical')
    return { dispatcher: 'FAILURE', wes: 'SYSTEM_ERROR' };
  if (state === STATES.FAILED && failureKind === 'cancelled')
    return { dispatcher: 'FAILURE', wes: 'CANCELED' };
  return STATE_MAP[state];
}

/** The mapping as a Markdown table, for the OpenAPI document. */
export function stateMapTable(): string {
  const rows = Object.entries(STATE_MAP).map(([s, m]) => `| ${s} | ${m.dispatcher} | ${m.wes} |`);
  return [
    '| jobdir | Job Dispatcher | GA4GH WES |',
    '|---|---|---|',
    ...rows,
    '| failed (technical) | FAILURE | SYSTEM_ERROR |',
    '| failed (cancelled) | FAILURE | CANCELED |',
    '| (unknown id, HTTP 404) | NOT_FOUND | — |',
    '| (the server cannot read the job just now, HTTP 503) | ERROR | — |',
  ].join('\n');
}
