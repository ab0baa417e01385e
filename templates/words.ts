/** Words users read on the pages, for jobdir's states. */
import { isState, POLICY, STATES } from '../src/states.js';

/**
 * The state as a user reads it: a job waiting its turn is "queued", one being prepared or
 * whose program has not reported yet is "starting", one whose program has ended and whose
 * results are being gathered is "finishing", a cancelled one is "cancelled". `started`:
 * the program has reported that it runs.
 */
export function stateWord(state: string, started = true, failureKind = ''): string {
  if (!isState(state)) return state;
  if (state === STATES.RUNNING && !started) return POLICY[STATES.PREPROCESSING].word;
  if (state === STATES.FAILED && failureKind === 'cancelled') return 'cancelled';
  return POLICY[state].word;
}
