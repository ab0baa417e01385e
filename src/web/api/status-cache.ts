import { STATES } from '../../states.js';
import { findJobEvenly, type Job, jobStamp, readJob, type Store } from '../../store/index.js';
import { NotFoundError } from '../../errors.js';

/**
 * A cache of finished jobs' API status. A completed or failed job without children
 * only changes when its folder does (moved, files added or removed), so an entry is
 * served after one stat of the folder finds the same stamp (jobStamp); otherwise the
 * status is rebuilt. Active jobs (and parents, whose children move elsewhere) are never
 * cached. The stamp is taken before the job is read, so a change during the read shows
 * as a different stamp next time. An entry checked less than `freshMs` ago is served
 * without the stat (so a finished job's status may trail an archive or delete by that
 * much). At most `max` entries; the oldest go first.
 */
export function createStatusCache<T extends { children?: unknown[] }>(store: Store, build: (job: Job) => Promise<T>, { max = 10_000, freshMs = 1000 } = {}) {
  const entries = new Map<string, { dir: string; stamp: string; json: string; checked: number }>();
  /** The status of job `id` as JSON text. */
  return async (id: string): Promise<string> => {
    const hit = entries.get(id);
    if (hit) {
      const now = Date.now();
      if (now - hit.checked < freshMs) return hit.json;
      if ((await jobStamp(hit.dir)) === hit.stamp) {
        hit.checked = now;
        return hit.json;
      }
      entries.delete(id);
    }
    const ref = await findJobEvenly(store, id);
    if (!ref) throw new NotFoundError('No job with this id was found.');
    const final = ref.state === STATES.COMPLETED || ref.state === STATES.FAILED;
    const stamp = final ? await jobStamp(ref.dir) : null;
    const value = await build(await readJob(ref));
    const json = JSON.stringify(value);
    if (stamp && !(value.children?.length)) {
      if (entries.size >= max) entries.delete(entries.keys().next().value!);
      entries.set(id, { dir: ref.dir, stamp, json, checked: Date.now() });
    }
    return json;
  };
}
