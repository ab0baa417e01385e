/**
 * `jobdir list`'s rows: the store alone, no service module, no
 * backend, so the command answers without loading either.
 */
import { ACTIVE_STATES, STATES, type State } from '../states.js';
import { type JobRef, listState, readJob, type Store } from '../store/index.js';

/** One line of `jobdir list`. */
export interface JobRow {
  id: string;
  state: State;
  type: string;
  email: string;
  submitted: string;
  /** Since submission, in ms. */
  ageMs: number;
  /** The recorded failure, '' when none. */
  failure: string;
}

/** An age for a table: "40s", "12m", "3h4m", "2d4h"; `gap` goes between hours and minutes, days and hours. */
export function formatAge(ms: number, gap = ''): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h${gap}${Math.round((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d${gap}${Math.floor((s % 86400) / 3600)}h`;
}

/** What `list` shows when no state is named: everything not completed or archived. */
export const DEFAULT_LIST_STATES: readonly State[] = [...ACTIVE_STATES, STATES.FAILED];

/** The jobs in `states`, oldest submission first. */
export async function listJobs(
  env: { store: Store },
  states: readonly State[] = DEFAULT_LIST_STATES,
  now = Date.now(),
): Promise<JobRow[]> {
  const refs: JobRef[] = [];
  for (const state of states)
    for (const id of await listState(env.store, state))
      refs.push({ id, state, dir: `${env.store.states[state]}/${id}` });
  const rows: JobRow[] = [];
  let next = 0;
  const worker = async () => {
    while (next < refs.length) {
      const ref = refs[next++]!;
      const job = await readJob(ref).catch(() => null);
      if (!job) continue;
      const s = job.settings;
      rows.push({
        id: ref.id,
        state: ref.state,
        type: s.type,
        email: s.email,
        submitted: s.submitted,
        ageMs: now - (Date.parse(s.submitted) || now),
        failure: job.result.failure ?? '',
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(32, refs.length) }, worker));
  return rows.sort((a, b) => a.submitted.localeCompare(b.submitted) || a.id.localeCompare(b.id));
}
