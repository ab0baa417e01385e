/** Words users read on the pages, for jobdir's states. */
import { STATES } from '../src/states.js';

/**
 * The state as a user reads it: a job waiting its turn is "queued", one being prepared or
 * whose program has not reported yet is "starting", one whose program has ended and whose
 * results are being gathered is "finishing", a cancelled one is "cancelled". `started`:
 * the program has reported that it runs.
 */
export function stateWord(state: string, started = true, failureKind = ''): string {
  switch (state) {
    case STATES.INCOMING:
      return 'queued';
    case STATES.PREPROCESSING:
      return 'starting';
    case STATES.RUNNING:
      return started ? 'running' : 'starting';
    case STATES.POSTPROCESSING:
    case STATES.FINALIZING:
      return 'finishing';
    case STATES.FAILED:
      return failureKind === 'cancelled' ? 'cancelled' : 'failed';
    default:
      return state;
  }
}
