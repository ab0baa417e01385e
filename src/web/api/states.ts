import { ALL_STATES, POLICY, STATES, type State } from '../../states.js';

/**
 * How jobdir's states read to clients written for EBI's Job Dispatcher
 * (QUEUED, RUNNING, FINISHED, ERROR, FAILURE, NOT_FOUND) and for GA4GH WES
 * (QUEUED, INITIALIZING, RUNNING, COMPLETE, EXECUTOR_ERROR, SYSTEM_ERROR, CANCELED, …).
 * Every failed job is FAILURE to the Job Dispatcher (EBI's Perl client takes ERROR for a
 * passing server problem and polls again); WES tells EXECUTOR_ERROR (the program failed),
 * SYSTEM_ERROR (a technical failure) and CANCELED apart. ERROR is kept for a server that
 * cannot read the job just now. An unknown id is NOT_FOUND (HTTP 404); an archived job
 * is NOT_FOUND too (HTTP 410). Each state's two names are in its row of the states' policy.
 */
/** The dispatcher and WES names of a job in `state` (failure kind refines FAILED). */
export function externalState(
  state: State,
  failureKind?: string,
): { dispatcher: string; wes: string } {
  if (state === STATES.FAILED && failureKind === 'technical')
    return { dispatcher: 'FAILURE', wes: 'SYSTEM_ERROR' };
  if (state === STATES.FAILED && failureKind === 'cancelled')
    return { dispatcher: 'FAILURE', wes: 'CANCELED' };
  return POLICY[state].external;
}

/** The mapping as a Markdown table, for the OpenAPI document. */
export function stateMapTable(): string {
  const rows = ALL_STATES.map((s) => {
    const m = POLICY[s].external;
    return `| ${s} | ${m.dispatcher} | ${m.wes} |`;
  });
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
