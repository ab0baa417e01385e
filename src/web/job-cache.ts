import { NotFoundError } from '../errors.js';
import { STATES } from '../states.js';
import { findJobEvenly, type Job, jobStamp, readJob, type Store } from '../store/index.js';

/**
 * A cache of what the web shows for finished jobs (the API status, the results page). A
 * completed or failed job only changes when its folder does (moved, files added or
 * removed), so an entry is served after one stat of the folder finds the same stamp
 * (jobStamp); otherwise it is rebuilt. Only what `build` marks cacheable is kept, and
 * only for finished jobs (not parents, whose children move elsewhere). The stamp is
 * taken before the job is read, so a change during the read shows as a different stamp
 * next time. An entry checked less than `freshMs` ago is served without the stat (so a
 * finished job may trail an archive or delete by that much). At most `max` entries.
 */
export function createJobCache<T>(store: Store, { max = 10_000, freshMs = 1000 } = {}) {
  const entries = new Map<string, { dir: string; stamp: string; value: T; checked: number }>();
  /** What `build` makes of job `id`, from the cache when still true. Unknown ids: NotFoundError. */
  return async (
    id: string,
    build: (job: Job) => Promise<{ value: T; cacheable: boolean }>,
  ): Promise<T> => {
    const hit = entries.get(id);
    if (hit) {
      const now = Date.now();
      if (now - hit.checked < freshMs) return hit.value;
      if ((await jobStamp(hit.dir)) === hit.stamp) {
        hit.checked = now;
        return hit.value;
      }
      entries.delete(id);
    }
    const ref = await findJobEvenly(store, id);
    if (!ref) throw new NotFoundError('No job with this id was found.');
    const final = ref.state === STATES.COMPLETED || ref.state === STATES.FAILED;
    const stamp = final ? await jobStamp(ref.dir) : null;
    const { value, cacheable } = await build(await readJob(ref));
    if (stamp && cacheable) {
      if (entries.size >= max) entries.delete(entries.keys().next().value!);
      entries.set(id, { dir: ref.dir, stamp, value, checked: Date.now() });
    }
    return value;
  };
}
